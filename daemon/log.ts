import { type Logger, pino } from 'pino';

export type { Logger };

/** The root logger: JSON lines on stdout (rotation is journald's job). */
export function rootLogger(level = 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that writes nowhere, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
