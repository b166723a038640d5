/**
 * The options of `readpoint context set|clear|show`. The command itself (context.ts, with the
 * config loader and the control client) loads only when it runs.
 */
import type { Command } from 'commander';
import type { ContextCliOptions } from './context.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `context set|clear|show` to the command line; `run` records the exit code. */
export function addContextCommand(program: Command, run: (p: Promise<number>) => Promise<void>): void {
  const context = program
    .command('context')
    .description(
      "a read point's transaction context (the shipment or order its events carry): set, clear, show",
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  readpoint context set dock-1 --config /etc/readpoint/readpoint.yaml \\',
        '      --tx desadv=https://id.gs1.org/402/40123450000000016 --expires 8h',
        '  readpoint context show --config /etc/readpoint/readpoint.yaml',
        '  readpoint context clear dock-1 --config /etc/readpoint/readpoint.yaml',
        '',
        'Exit codes: 0 done; 1 cannot (no daemon running for set or clear, refused, an invalid config);',
        '64 wrong options. show answers from the data directory when the daemon is stopped.',
      ].join('\n'),
    );
  const action =
    (verb: 'set' | 'clear' | 'show') => async (readPoint: string | undefined, o: ContextCliOptions) => {
      const { contextCommand } = await import('./context.js');
      await run(contextCommand(verb, readPoint, o));
    };
  context
    .command('set')
    .description("set a read point's context; it replaces the one active")
    .argument('<readPoint>', 'a read point with a context section')
    .requiredOption(
      '-c, --config <file>',
      "the daemon's configuration file (its dataDir holds the control socket)",
    )
    .option(
      '--tx <type=uri>',
      'a business transaction (CBV type: po, desadv, inv, bol, ...; repeatable)',
      collect,
    )
    .option('--source <type=uri>', 'a source (owning_party, possessing_party, location; repeatable)', collect)
    .option('--destination <type=uri>', 'a destination (repeatable)', collect)
    .option('--expires <when>', 'end it then: an ISO 8601 date-time, or from now: 30m, 8h, 2d')
    .option('--json', 'print the context set as JSON')
    .action(action('set'));
  context
    .command('clear')
    .description("end a read point's context")
    .argument('<readPoint>', 'a read point with a context section')
    .requiredOption('-c, --config <file>', "the daemon's configuration file")
    .option('--json', 'print the answer as JSON')
    .action(action('clear'));
  context
    .command('show')
    .description('print the active contexts (of one read point, or all)')
    .argument('[readPoint]', 'only this read point')
    .requiredOption('-c, --config <file>', "the daemon's configuration file")
    .option('--json', 'print one JSON object, by read point')
    .action(action('show'));
}
