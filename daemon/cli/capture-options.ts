/** The command line of `readpoint record` and `readpoint replay`: their options, checked, and their help. */
import { type Command, InvalidArgumentError } from 'commander';
import type { RecordCliOptions } from './record.js';
import type { ReplayCliOptions } from './replay.js';

const number =
  (name: string, min: number, max: number) =>
  (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(
        `${name} takes a number from ${min} to ${max}, got ${JSON.stringify(text)}`,
      );
    return n;
  };

/** Adds `record` and `replay` to the command line; `run` records the exit code. */
export function addCaptureCommands(program: Command, run: (p: Promise<number>) => Promise<void>): void {
  program
    .command('record')
    .description(
      "record a reader's raw traffic, before decoding, into a capture file for readpoint replay (from the running daemon, or from the device when no daemon runs)",
    )
    .requiredOption('-c, --config <file>', 'configuration file (YAML) naming the reader and the data dir')
    .requiredOption('-r, --reader <id>', 'the reader to record')
    .requiredOption('-o, --out <file>', 'the capture file to write (replaced if it exists)')
    .option(
      '-d, --duration <seconds>',
      'stop after this long (default: at Ctrl-C)',
      number('--duration', 0.1, 7 * 86400),
    )
    .option('--max-mb <mib>', 'stop when the file reaches this size', number('--max-mb', 1, 65536), 256)
    .option(
      '--ring',
      "write the running daemon's ring of the reader's last minutes (the reader's capture.ringMinutes) and exit",
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  readpoint record --config /etc/readpoint/readpoint.yaml --reader dock-3-rfid --out dock-3.capture',
        '  readpoint record --config /etc/readpoint/readpoint.yaml --reader dock-3-rfid --out dock-3.capture --duration 600',
        '  readpoint record --config /etc/readpoint/readpoint.yaml --reader dock-3-rfid --out last-minutes.capture --ring',
      ].join('\n'),
    )
    .action(async (o: RecordCliOptions) => {
      const { recordCommand } = await import('./record.js');
      return run(recordCommand(o));
    });

  program
    .command('replay')
    .description(
      "run a capture through decode and smoothing as a configuration would, offline, on the capture's clock, and print the events it emits (--compare: what changes under another configuration)",
    )
    .argument('<capture>', 'a capture file written by readpoint record')
    .requiredOption('-c, --config <file>', 'configuration file (YAML) to replay under')
    .option(
      '--compare <file>',
      'a second configuration: print the counts side by side and the events only one emits',
    )
    .option(
      '-r, --reader <id>',
      "replay as this reader of the configuration (default: the capture's reader id)",
    )
    .option(
      '--json',
      'print each event as the daemon would publish it, one per line (with --compare: one JSON report)',
    )
    .option('--rejects', 'also print the reads that do not decode (REJECT lines)')
    .option('--partial', 'replay a capture that was cut off (no end line): the complete reads before the cut')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  readpoint replay dock-3.capture --config /etc/readpoint/readpoint.yaml',
        '  readpoint replay dock-3.capture --config readpoint.yaml --compare readpoint-floor-70.yaml',
        '  readpoint replay dock-3.capture --config readpoint.yaml --json | jq -c \'[.epcList[0], .["rp:direction"]]\'',
      ].join('\n'),
    )
    .action(async (capture: string, o: ReplayCliOptions) => {
      const { replayCommand } = await import('./replay.js');
      return run(replayCommand(capture, o));
    });
}
