/** The command line of `readpoint simulate`: its options, checked, and its help. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { SimulateOptions } from './simulate.js';

const number =
  (name: string, min: number, max: number, whole = false) =>
  (text: string): number => {
    const n = Number(text);
    if (
      text.trim() === '' ||
      !Number.isFinite(n) ||
      n < min ||
      n > max ||
      (whole && !Number.isSafeInteger(n))
    )
      throw new InvalidArgumentError(
        `${name} takes ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`,
      );
    return n;
  };

/** The options as commander parses them. */
interface SimulateCliOptions extends Partial<Omit<SimulateOptions, 'quiet'>> {
  readonly quiet?: boolean;
}

/** Adds `simulate` to the command line; `run` records the exit code. */
export function addSimulateCommand(program: Command, run: (p: Promise<number>) => Promise<void>): void {
  program
    .command('simulate')
    .description(
      'send synthetic reader traffic into a serial device or a PTY, to test the whole path while commissioning',
    )
    .option('--device <path>', 'an existing serial device or PTY end to write to')
    .option('--pty <link>', 'make a PTY pair with socat: the reader opens LINK, the simulator the other end')
    .addOption(
      new Option('--protocol <protocol>', 'what to play: a barcode scanner, or an RFID module')
        .choices(['line', 'thingmagic', 'r2000'])
        .default('line'),
    )
    .option(
      '--rate <n>',
      'reads per second (RFID: tag arrivals per second)',
      number('--rate', 0.01, 10_000),
      5,
    )
    .option('--units <n>', 'distinct serialized units', number('--units', 1, 1_000_000, true), 200)
    .option(
      '--count <n>',
      'stop after n reads (RFID: n tags came and went); default: until Ctrl-C',
      number('--count', 1, Number.MAX_SAFE_INTEGER, true),
    )
    .option(
      '--seed <n>',
      'seed of the sequence: the same seed, the same units',
      number('--seed', 0, 2 ** 32 - 1, true),
      1,
    )
    .option(
      '--garbage-share <x>',
      'share of reads that are garbage (RFID: noise bursts on the line)',
      number('--garbage-share', 0, 1),
      0.02,
    )
    .option('--repeats <n>', 'line: reads of each unit as it passes', number('--repeats', 1, 100, true), 3)
    .addOption(
      new Option('--delimiter <name>', 'line: end of a read, as the reader is configured')
        .choices(['CR', 'LF', 'CRLF'])
        .default('CR'),
    )
    .option(
      '--link-share <x>',
      'line: share of units labelled with a GS1 Digital Link URI (]Q1)',
      number('--link-share', 0, 1),
      0.2,
    )
    .option(
      '--epc-share <x>',
      'line: share of units whose label is their SGTIN-96 EPC as hex text',
      number('--epc-share', 0, 1),
      0.1,
    )
    .option(
      '--dwell-ms <n>',
      'RFID: how long a tag stays in the field',
      number('--dwell-ms', 10, 3_600_000, true),
      1000,
    )
    .option(
      '--baud-rate <n>',
      'baud rate of a real serial line (default 9600 for line, 115200 for RFID)',
      number('--baud-rate', 50, 4_000_000, true),
    )
    .option('-q, --quiet', 'no line per read; only the summary')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  readpoint simulate --pty /tmp/ttyV0          # then a serial-line reader with path: /tmp/ttyV0',
        '  readpoint simulate --pty /tmp/ttyV0 --count 100 --rate 20 --epc-share 0',
        '  socat pty,raw,echo=0,link=/tmp/ttyV0 pty,raw,echo=0,link=/tmp/ttyV1 &',
        '  readpoint simulate --device /tmp/ttyV1 --delimiter CRLF --seed 7',
        '  readpoint simulate --protocol thingmagic --pty /tmp/rfid   # a thingmagic reader with path: /tmp/rfid',
        '  readpoint simulate --device /dev/ttyUSB1 --baud-rate 115200   # a USB-serial adapter wired null-modem to the reader port',
        '',
        'line prints one line per read: time, read number, unit, kind (label, link, epc, garbage) and the',
        'read as `readpoint decode` takes it. EPC hex labels decode only on a reader with format.data: epc;',
        'with the default format (aim) they are rejected as no-aim-id: give --epc-share 0 for labels only.',
        'With --pty, sending starts once a reader opens LINK, and after --count the PTY stays until Ctrl-C.',
        'While no reader has LINK open (the daemon restarts, a reload restarts the reader) nothing is sent',
        'or counted, as with a scanner whose cable is pulled; it goes on when a reader opens LINK again.',
        'thingmagic and r2000 answer the real driver and move tags (SGTIN-96) through antenna 1.',
        '',
        'Exit codes: 0 stopped (after --count, or Ctrl-C); 1 cannot (no such device, socat missing, the',
        'line went away); 64 wrong options.',
      ].join('\n'),
    )
    .action(async (o: SimulateCliOptions, command: Command) => {
      if ((o.device === undefined) === (o.pty === undefined))
        command.error(
          'readpoint simulate: give --device PATH (an existing line) or --pty LINK (a new one), one of them',
        );
      const protocol = o.protocol ?? 'line';
      const { simulateCommand } = await import('./simulate.js');
      return run(
        simulateCommand({
          ...(o.device !== undefined ? { device: o.device } : {}),
          ...(o.pty !== undefined ? { pty: o.pty } : {}),
          ...(o.count !== undefined ? { count: o.count } : {}),
          protocol,
          rate: o.rate ?? 5,
          units: o.units ?? 200,
          seed: o.seed ?? 1,
          garbageShare: o.garbageShare ?? 0.02,
          repeats: o.repeats ?? 3,
          delimiter: o.delimiter ?? 'CR',
          linkShare: o.linkShare ?? 0.2,
          epcShare: o.epcShare ?? 0.1,
          dwellMs: o.dwellMs ?? 1000,
          baudRate: o.baudRate ?? (protocol === 'line' ? 9600 : 115200),
          quiet: o.quiet === true,
        }),
      );
    });
}
