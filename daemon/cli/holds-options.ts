/**
 * The options of `readpoint holds add|remove|list|import`. The commands themselves (holds.ts,
 * with the config loader, the control client and LevelDB) load only when one of them runs.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { HoldMatchOptions, HoldsImportOptions, HoldsListOptions, HoldsPlace } from './holds.js';

function place(command: Command, o: HoldsPlace): void {
  if ((o.config === undefined) === (o.dataDir === undefined))
    command.error(`readpoint holds ${command.name()}: give --config FILE or --data-dir DIR, one of them`);
}

function match(command: Command, o: HoldMatchOptions): void {
  const named = [o.unit, o.gtin, o.epcPattern].filter((x) => x !== undefined).length;
  if (named !== 1)
    command.error(
      `readpoint holds ${command.name()}: name one of --unit, --gtin (with --lot or --serials) or --epc-pattern`,
    );
}

const EXIT_NOTE = [
  '',
  'With the daemon running the change holds at once (over its control socket); without it, it is',
  'written to the inventory store and taken at the next start.',
  'Exit codes: 0 done; 1 refused (a bad entry or file line, the store in use, an invalid config); 64 wrong options.',
].join('\n');

const withPlace = (c: Command) =>
  c
    .option('-c, --config <file>', "the daemon's configuration file (its dataDir holds the hold lists)")
    .option('-d, --data-dir <dir>', 'the data directory itself');

const withMatch = (c: Command) =>
  withPlace(c)
    .option('--unit <uri>', 'one unit: its Digital Link URI or EPC URN (urn:epc:id:sgtin:...)')
    .option('--gtin <gtin>', 'a GTIN: alone every unit of it, or with --lot or --serials')
    .option('--lot <lot>', 'the lot (batch) of --gtin: a recall')
    .option('--serials <from-to>', 'numeric serials of --gtin, both ends included, e.g. 1000-1999')
    .option('--epc-pattern <pattern>', 'e.g. urn:epc:idpat:sgtin:0614141.812345.* or ...812345.[100-199]');

const limit = (text: string) => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1_000_000)
    throw new InvalidArgumentError(
      `--limit takes a whole number from 1 to 1000000, got ${JSON.stringify(text)}`,
    );
  return n;
};

/** Adds `holds add|remove|list|import` to the command line; `run` records the exit code. */
export function addHoldsCommands(program: Command, run: (p: Promise<number>) => Promise<void>): void {
  const holds = program
    .command('holds')
    .description(
      'the hold lists (recalls, quality holds): add or remove local holds, list them, import a file',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  readpoint holds add -c /etc/readpoint/readpoint.yaml --gtin 09506000134352 --lot L42 --reason recall --reference R-118',
        '  readpoint holds list -c /etc/readpoint/readpoint.yaml --list site',
        '  readpoint holds import -c /etc/readpoint/readpoint.yaml recall-118.jsonl',
      ].join('\n'),
    );
  withMatch(
    holds.command('add').description('hold a unit, a lot, serials, a GTIN or an EPC pattern (local list)'),
  )
    .option('--reason <text>', 'why, e.g. recall, quality hold, damaged')
    .option('--reference <text>', 'a recall number or case')
    .option('--expires <date-time>', 'ISO 8601; after it the hold no longer holds')
    .addHelpText('after', EXIT_NOTE)
    .action(async (o: HoldMatchOptions, command: Command) => {
      place(command, o);
      match(command, o);
      const { holdsChangeCommand } = await import('./holds.js');
      return run(holdsChangeCommand('add', o));
    });
  withMatch(holds.command('remove').description('release a local hold, named as it was added'))
    .addHelpText('after', EXIT_NOTE)
    .action(async (o: HoldMatchOptions, command: Command) => {
      place(command, o);
      match(command, o);
      const { holdsChangeCommand } = await import('./holds.js');
      return run(holdsChangeCommand('remove', o));
    });
  withPlace(
    holds.command('list').description("print the holds, one per line (the lists' versions on stderr)"),
  )
    .addOption(new Option('--list <list>', 'only this list').choices(['site', 'gateway', 'local']))
    .option('--limit <n>', 'print at most n holds', limit, 100)
    .option('--json', 'one JSON object per hold')
    .addHelpText('after', EXIT_NOTE)
    .action(async (o: HoldsListOptions, command: Command) => {
      place(command, o);
      const { holdsListCommand } = await import('./holds.js');
      return run(holdsListCommand(o));
    });
  withPlace(
    holds
      .command('import')
      .description(
        'add the entries of a JSON Lines file (one entry per line, up to 1,000,000) to the local list',
      )
      .argument(
        '<file>',
        'JSON Lines: one hold entry per line; blank lines and lines starting with # skipped',
      ),
  )
    .option('--replace', 'the file replaces the local list')
    .addHelpText('after', EXIT_NOTE)
    .action(async (file: string, o: HoldsImportOptions, command: Command) => {
      place(command, o);
      const { holdsImportCommand } = await import('./holds.js');
      return run(holdsImportCommand(file, o));
    });
}
