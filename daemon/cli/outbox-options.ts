/**
 * The options of `readpoint outbox stats|export`. The commands themselves (outbox.ts, with the
 * config loader and LevelDB) load only when one of them runs.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { OutboxExportOptions, OutboxPlace, OutboxStatsOptions } from './outbox.js';

const wholeNumber = (name: string, min: number) => (text: string) => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min)
    throw new InvalidArgumentError(
      `${name} takes a whole number of at least ${min}, got ${JSON.stringify(text)}`,
    );
  return n;
};

/** Checks that exactly one of --config and --data-dir was given (else a usage error). */
function place(command: Command, o: OutboxPlace): void {
  if ((o.config === undefined) === (o.dataDir === undefined))
    command.error(
      `readpoint outbox ${command.name()}: give --config FILE (the daemon's config) or --data-dir DIR, one of them`,
    );
  if (o.dataDir?.trim() === '') command.error(`readpoint outbox ${command.name()}: --data-dir is empty`);
}

const EXIT_NOTE = [
  '',
  'Exit codes: 0 done; 1 cannot (no outbox there, the daemon is running and holds it, an invalid',
  'config, the output cannot be written); 64 wrong options.',
  'The outbox is read from a snapshot: nothing in it is changed. Stop the daemon first.',
].join('\n');

/** Adds `outbox stats` and `outbox export` to the command line; `run` records the exit code. */
export function addOutboxCommands(program: Command, run: (p: Promise<number>) => Promise<void>): void {
  const outbox = program
    .command('outbox')
    .description("look into a stopped gateway's outbox: its figures, or its undelivered events as NDJSON")
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  readpoint outbox stats --config /etc/readpoint/readpoint.yaml',
        '  readpoint outbox export --config /etc/readpoint/readpoint.yaml --output backlog.ndjson',
      ].join('\n'),
    );
  outbox
    .command('stats')
    .description('print what waits in the outbox: depth, bytes, sequence numbers, ages, read points, drops')
    .option('-c, --config <file>', "the daemon's configuration file (its dataDir holds the outbox)")
    .option('-d, --data-dir <dir>', 'the data directory itself (the outbox is DIR/outbox)')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  systemctl stop readpoint',
        '  readpoint outbox stats --config /etc/readpoint/readpoint.yaml',
        '  readpoint outbox stats --data-dir /var/lib/readpoint --json | jq .depth',
        EXIT_NOTE,
      ].join('\n'),
    )
    .action(async (o: OutboxStatsOptions, command: Command) => {
      place(command, o);
      const { outboxStatsCommand } = await import('./outbox.js');
      return run(outboxStatsCommand(o));
    });
  outbox
    .command('export')
    .description(
      'write the undelivered events as NDJSON (one EPCIS event per line, exactly as it would have been published) in sequence order',
    )
    .option('-c, --config <file>', "the daemon's configuration file (its dataDir holds the outbox)")
    .option('-d, --data-dir <dir>', 'the data directory itself (the outbox is DIR/outbox)')
    .option('-o, --output <file>', 'a new file to write (default: stdout)')
    .option('--from-seq <n>', 'start at this sequence number', wholeNumber('--from-seq', 0))
    .option('--limit <n>', 'export at most n events', wholeNumber('--limit', 1))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  readpoint outbox export --config /etc/readpoint/readpoint.yaml --output /media/usb/backlog.ndjson',
        '  readpoint outbox export --data-dir /var/lib/readpoint --from-seq 5000 --limit 100 | jq .eventID',
        '',
        'A summary goes to stderr: exported 1234 events, seq 5..1238, to FILE.',
        EXIT_NOTE,
      ].join('\n'),
    )
    .action(async (o: OutboxExportOptions, command: Command) => {
      place(command, o);
      const { outboxExportCommand } = await import('./outbox.js');
      return run(outboxExportCommand(o));
    });
}
