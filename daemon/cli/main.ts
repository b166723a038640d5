#!/usr/bin/env node
/** readpoint's command line: the daemon and the technician's tools. */
// First: the daemon's stop signals are caught before the rest of the code loads.
import './stop-signals.js';
import { readFileSync } from 'node:fs';
import type { Command as CommandType } from 'commander';
import type { DecodeOptions } from './decode.js';
import type { StatusCliOptions } from './status.js';
import type { TailCliOptions } from './tail.js';
import type { WhereCliOptions } from './where.js';

// Imported only now: every static import is read and linked before any module runs, during
// which a stop signal would end the daemon unheard. Only what defines the commands loads here;
// each command loads its own code when it runs, so the light ones answer fast.
const [
  { Command, CommanderError, Option },
  { EXIT },
  { addOutboxCommands },
  { addSimulateCommand },
  { addHoldsCommands },
  { addContextCommand },
  { addCaptureCommands },
] = await Promise.all([
  import('commander'),
  import('./exit-codes.js'),
  import('./outbox-options.js'),
  import('./simulate-options.js'),
  import('./holds-options.js'),
  import('./context-options.js'),
  import('./capture-options.js'),
]);

/** The installed package's own version: package.json is three levels above dist/daemon/cli/. */
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('readpoint')
  .description('Edge gateway for serialized inventory: readers -> EPCIS events -> outbox -> MQTT')
  .version(version, '-V, --version', 'print the version')
  .exitOverride();

let exitCode: number = EXIT.ok;
const set = async (p: Promise<number>): Promise<void> => {
  exitCode = await p;
};

program
  .command('run')
  .description('run the daemon (exit 0 on SIGTERM/SIGINT; exit codes in docs/commands.md)')
  .requiredOption('-c, --config <file>', 'configuration file (YAML)')
  .addHelpText('after', '\nExample:\n  readpoint run --config /etc/readpoint/readpoint.yaml')
  .action(async (o: { config: string }) => {
    const { runCommand } = await import('./run.js');
    return set(runCommand(o.config));
  });

program
  .command('check')
  .description('validate a configuration; prints FILE:LINE:COL path: message per problem')
  .requiredOption('-c, --config <file>', 'configuration file (YAML)')
  .addHelpText('after', '\nExample:\n  readpoint check --config /etc/readpoint/readpoint.yaml')
  .action(async (o: { config: string }) => {
    const { checkCommand } = await import('./check.js');
    return set(checkCommand(o.config));
  });

program
  .command('decode')
  .description(
    'decode a scanned string, Digital Link URI or EPC hex (or each line of stdin) into a unit identity, as JSON',
  )
  .argument(
    '[input]',
    'the scan, Digital Link URI or EPC hex; write a GS separator as \\x1d (without it, each line of stdin is decoded)',
  )
  .addOption(
    new Option('-f, --reader-format <format>', 'decode as a reader with this data format would').choices([
      'aim',
      'gs1',
      'digital-link',
      'epc',
      'text',
    ]),
  )
  .option('-c, --config <file>', 'configuration file whose reader to decode as (with --reader)')
  .option('-r, --reader <id>', 'decode exactly as this reader would: its format, patterns and options')
  .addHelpText(
    'after',
    [
      '',
      'Examples:',
      "  readpoint decode ']d2010950600013435221SN0042\\x1d10LOT7'",
      "  readpoint decode ']Q1https://id.gs1.org/01/09506000134352/21/SN0042?17=271231'",
      '  readpoint decode 3074257BF7194E4000001A85',
      "  readpoint decode --reader-format gs1 '010950600013435221SN0042'",
      '  readpoint decode --config /etc/readpoint/readpoint.yaml --reader conveyor-1 < scans.txt',
    ].join('\n'),
  )
  .action(async (input: string | undefined, o: DecodeOptions, command: CommandType) => {
    const { decodeCommand } = await import('./decode.js');
    return set(decodeCommand(input, o, (message) => command.error(message)));
  });

program
  .command('ports')
  .description(
    'list serial ports and USB devices (path, by-id path, VID:PID, serial number, driver) with the config that names each; works without udev',
  )
  .option('--json', 'print one JSON object: { serial: [...], usb: [...], notes: [...] }')
  .addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  readpoint ports',
      "  readpoint ports --json | jq '.serial[] | {path, byId, vidPid}'",
    ].join('\n'),
  )
  .action(async (o: { json?: boolean }) => {
    const { portsCommand } = await import('./ports.js');
    return set(portsCommand(o.json === true));
  });

/** Collects a repeated option (`--read-point a --read-point b,c`); tailOptions splits the commas. */
const tailList = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('tail')
  .description('watch a gateway: one readable line per event (--json: each payload as it came)')
  .option('-u, --url <url>', 'broker URL, e.g. mqtt://127.0.0.1:1883')
  .option(
    '-c, --config <file>',
    'watch the gateway this config file configures: its broker (uplink.url and its login and TLS files, or the embedded broker), topic prefix, site and gateway id',
  )
  .option('--site <id>', 'only this site (default: every site)')
  .option('--gateway <id>', 'only this gateway (default: every gateway)')
  .option('--read-point <ids>', 'only these read points (repeat it or give a comma list)', tailList)
  .option('--reader <ids>', 'only the events and rejects of these readers (same)', tailList)
  .option('--prefix <prefix>', 'topic prefix, as uplink.topicPrefix in the config (default readpoint/v1)')
  .option('--rejects', 'also print the reads that could not be decoded (REJECT lines)')
  .option('--health', 'also print a line per health report')
  .option('-t, --topic <filter>', 'a raw topic filter instead of --prefix/--site/--gateway/--read-point')
  .option('-n, --count <n>', 'exit after n lines', (v) => Number.parseInt(v, 10))
  .option('--with-topic', 'print the topic before each line')
  .option(
    '--json',
    'print each payload as it came, one JSON document per line (with --dedup: one verdict object per line, with a kind: event, duplicate, gap, late, overflow, summary)',
  )
  .option(
    '--dedup',
    'consume as an upstream system must: drop duplicates by eventID, report gaps by sequence number, read overflow notices; a summary at the end (exit 1 if a gap no overflow notice explains is open)',
  )
  .option('--dedup-window <n>', 'with --dedup: event IDs remembered (default 100000)')
  .option(
    '--overflow-topic <filter>',
    'with --dedup: overflow notices (default: the events filter with .../overflow)',
  )
  .option(
    '--session <name>',
    'a persistent session (clean=false, client id readpoint-tail-NAME; letters, digits, _ and -): events published while tail is away are delivered when it is back; the broker keeps queueing them until the session is removed',
  )
  .addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  readpoint tail --config /etc/readpoint/readpoint.yaml',
      '  readpoint tail --config /etc/readpoint/readpoint.yaml --reader scanner-1 --rejects',
      '  readpoint tail --url mqtt://127.0.0.1:1883',
      '  readpoint tail --url mqtt://127.0.0.1:1883 --read-point dock-1,dock-2 --rejects',
      '  readpoint tail --url mqtt://127.0.0.1:1883 --reader rfid-1 --json | jq .epcList',
      '  readpoint tail --url mqtt://127.0.0.1:1883 --dedup',
      '  readpoint tail --url mqtt://broker:1883 --site site-1 --dedup --json',
      '  readpoint tail --url mqtt://broker:1883 --dedup --session audit',
    ].join('\n'),
  )
  .action(async (o: TailCliOptions, command: CommandType) => {
    const [{ tailCommand, tailOptions }, { tailTarget }] = await Promise.all([
      import('./tail.js'),
      import('./tail-config.js'),
    ]);
    const target = await tailTarget(o);
    if (typeof target === 'string') return command.error(`readpoint tail: ${target}`);
    const options = tailOptions(target.options);
    if (typeof options === 'string') return command.error(`readpoint tail: ${options}`);
    return set(tailCommand(target.options.url, options, target.connect));
  });

program
  .command('status')
  .description(
    "the gateway's state at once, from what its broker retains: online or offline, readers, uplink, outbox and its runway, last reload (exit 0 healthy, 1 unhealthy, 3 offline, 4 no health retained, 5 broker not reached)",
  )
  .requiredOption(
    '-c, --config <file>',
    'the gateway this config file configures: its broker (uplink.url and its login and TLS files, or the embedded broker), topic prefix, site and gateway id',
  )
  .option('-u, --url <url>', 'ask this broker instead of the one the config names')
  .option('--json', 'print the last health report as retained, one JSON document')
  .option('--timeout <seconds>', 'give up after this long when the broker does not answer (default 5)')
  .addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  readpoint status --config /etc/readpoint/readpoint.yaml',
      "  readpoint status --config /etc/readpoint/readpoint.yaml --json | jq '.readers[] | {id, state, readsPerMin}'",
    ].join('\n'),
  )
  .action(async (o: StatusCliOptions, command: CommandType) => {
    const { statusCommand, statusTimeoutMs } = await import('./status.js');
    const timeoutMs = statusTimeoutMs(o.timeout);
    if (typeof timeoutMs === 'string') return command.error(`readpoint status: ${timeoutMs}`);
    const code = await statusCommand(o, timeoutMs);
    if (typeof code === 'string') return command.error(`readpoint status: ${code}`);
    exitCode = code;
  });

program
  .command('where')
  .description(
    'where was each unit seen last: its read point, time, transition, reader and eventID, from the running daemon or, when none runs, from its where-is index (exit 0 all found, 1 one never seen, 2 not asked, 64 not a unit)',
  )
  .argument(
    '<unit...>',
    'a scan (a GS written \\x1d), a Digital Link URI, EPC hex or an EPC URI (urn:epc:id:...)',
  )
  .option('-c, --config <file>', "the gateway's configuration (its dataDir)")
  .option('-d, --data-dir <dir>', 'the data directory, instead of --config')
  .option('--json', 'print one JSON object per unit, as the query topic answers')
  .addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  readpoint where --config /etc/readpoint/readpoint.yaml 3074257BF7194E4000001A85',
      "  readpoint where -c /etc/readpoint/readpoint.yaml ']d2010950600013435221SN0042\\x1d10LOT7'",
      '  readpoint where -c /etc/readpoint/readpoint.yaml https://id.gs1.org/01/09506000134352/21/SN0042 --json',
    ].join('\n'),
  )
  .action(async (units: string[], o: WhereCliOptions) => {
    const { whereCommand } = await import('./where.js');
    return set(whereCommand(units, o));
  });

addOutboxCommands(program, set);
addSimulateCommand(program, set);
addHoldsCommands(program, set);
addContextCommand(program, set);
addCaptureCommands(program, set);

/** A usage error is one line and a hint, on every command: the whole help would bury the line. */
function hintAfterErrors(command: CommandType, path: string): void {
  const what = command.commands.length > 0 ? 'commands' : 'options';
  command.showHelpAfterError(`(run '${path} --help' for the ${what})`);
  for (const sub of command.commands) hintAfterErrors(sub, `${path} ${sub.name()}`);
}
hintAfterErrors(program, 'readpoint');

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
    process.exit();
  }
  process.stderr.write(`readpoint: ${(err as Error).message}\n`);
  exitCode = EXIT.fatal;
}
process.exit(exitCode);
