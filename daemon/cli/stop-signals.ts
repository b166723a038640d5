/**
 * SIGTERM and SIGINT for `readpoint run`, caught from the first moment. main.ts imports this
 * module before any other, so for `run` its listeners are in place before the rest of the code
 * loads and the configuration is read (a second or more on a small, busy box): a signal meanwhile
 * is kept for the daemon to act on, instead of ending the process unheard (exit 143, no log
 * line). Its one line on stdout, `starting`, marks that moment. Nothing here may import more than
 * Node's own modules: that would load before the listeners are in place.
 */

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

let installed = false;
let caught: string | undefined;
const waiting: ((signal: string) => void)[] = [];
let onRepeat: ((signal: string) => void) | undefined;

function onSignal(signal: string): void {
  if (caught !== undefined) {
    onRepeat?.(signal);
    return;
  }
  caught = signal;
  for (const resolve of waiting.splice(0)) resolve(signal);
}

/** Keeps SIGTERM and SIGINT from ending the process; the first one is the stop signal. */
export function catchStopSignals(): void {
  if (installed) return;
  installed = true;
  for (const signal of STOP_SIGNALS) process.on(signal, () => onSignal(signal));
}

/** The first stop signal: resolves at once when it came already. */
export function stopSignal(): Promise<string> {
  catchStopSignals();
  if (caught !== undefined) return Promise.resolve(caught);
  return new Promise((resolve) => waiting.push(resolve));
}

/** The stop signal, if one came. */
export function stopAsked(): string | undefined {
  return caught;
}

/** Called with every stop signal after the first (the daemon is stopping already). */
export function onRepeatedStopSignal(listener: (signal: string) => void): void {
  onRepeat = listener;
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'run' && !rest.some((a) => a === '--help' || a === '-h')) {
  catchStopSignals();
  // The log's first line, in its JSON-lines shape (the logger is not loaded yet, nor the level
  // the configuration sets).
  process.stdout.write(
    `${JSON.stringify({ level: 30, time: new Date().toISOString(), pid: process.pid, msg: 'starting' })}\n`,
  );
}
