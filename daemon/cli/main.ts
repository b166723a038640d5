#!/usr/bin/env node
/** readpoint's command line: the daemon and the technician's tools. */
import { Command, CommanderError, Option } from 'commander';
import { checkCommand } from './check.js';
import { type DecodeOptions, decodeCommand } from './decode.js';
import { portsCommand } from './ports.js';
import { EXIT, runCommand } from './run.js';
import { type TailCliOptions, type TailOptions, tailCommand, tailOptions } from './tail.js';

const program = new Command('readpoint')
  .description('Edge gateway for serialized inventory: readers -> EPCIS events -> outbox -> MQTT')
  .exitOverride()
  .showHelpAfterError();

let exitCode: number = EXIT.ok;
const set = async (p: Promise<number>): Promise<void> => {
  exitCode = await p;
};

program
  .command('run')
  .description('run the daemon (exit 0 on SIGTERM/SIGINT; see README for exit codes)')
  .requiredOption('-c, --config <file>', 'configuration file (YAML)')
  .addHelpText('after', '\nExample:\n  readpoint run --config /etc/readpoint/readpoint.yaml')
  .action((o: { config: string }) => set(runCommand(o.config)));

program
  .command('check')
  .description('validate a configuration; prints FILE:LINE:COL path: message per problem')
  .requiredOption('-c, --config <file>', 'configuration file (YAML)')
  .addHelpText('after', '\nExample:\n  readpoint check --config /etc/readpoint/readpoint.yaml')
  .action((o: { config: string }) => set(checkCommand(o.config)));

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
  .action((input: string | undefined, o: DecodeOptions) => set(decodeCommand(input, o)));

program
  .command('ports')
  .description('list serial ports and USB devices (path, by-id path, VID:PID, serial number)')
  .option('--json', 'print JSON')
  .action((o: { json?: boolean }) => set(portsCommand(o.json === true)));

program
  .command('tail')
  .description('subscribe to a broker and print events, one per line')
  .requiredOption('-u, --url <url>', 'broker URL, e.g. mqtt://127.0.0.1:1883')
  .option('-t, --topic <filter>', 'topic filter', 'readpoint/v1/+/+/events/+')
  .option('-n, --count <n>', 'exit after n messages', (v) => Number.parseInt(v, 10))
  .option('--with-topic', 'print the topic before each payload')
  .option(
    '--dedup',
    'consume as an upstream system must: drop duplicates by eventID, report gaps by sequence number, read overflow notices; a summary at the end (exit 1 if a gap no overflow notice explains is open)',
  )
  .option('--dedup-window <n>', 'with --dedup: event IDs remembered (default 100000)')
  .option(
    '--json',
    'with --dedup: one JSON object per line, with a kind (event, duplicate, gap, late, overflow, summary)',
  )
  .option(
    '--overflow-topic <filter>',
    'with --dedup: overflow notices (default: the events filter with .../overflow)',
  )
  .addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  npx readpoint tail --url mqtt://127.0.0.1:1883',
      '  npx readpoint tail --url mqtt://127.0.0.1:1883 --dedup',
      "  npx readpoint tail --url mqtt://broker:1883 --topic 'readpoint/v1/site-1/+/events/+' --dedup --json",
    ].join('\n'),
  )
  .action((o: TailCliOptions, command: Command) => {
    const options = tailOptions(o);
    if (typeof options === 'string') command.error(`readpoint tail: ${options}`);
    return set(tailCommand(o.url, o.topic, options as TailOptions));
  });

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
