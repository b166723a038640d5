/**
 * CPU time of the work measured, which holds steady on a noisy machine when wall clock does
 * not: the whole process (process.cpuUsage(): every thread, LevelDB's and libuv's included) and
 * its main thread alone (utime + stime of /proc/self/task/<pid>/stat; the main thread's id is the
 * process id).
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime + stime, in clock ticks, of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line. */
export function statCpuTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses:
  // the fields after it start after the last ')'. utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a /proc stat line: ${stat}`);
  return utime + stime;
}

/** CPU time of this process's main thread so far, µs (NaN where /proc is not there). */
function mainThreadUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    return (statCpuTicks(stat) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export interface CpuMark {
  readonly at: number;
  readonly processUs: number;
  readonly mainUs: number;
}

export function cpuMark(): CpuMark {
  const u = process.cpuUsage();
  return { at: performance.now(), processUs: u.user + u.system, mainUs: mainThreadUs() };
}

/** One side of a pair: the rate and the CPU time per event since `start`. */
export interface Measured {
  readonly perSecond: number;
  /** Process CPU per event, µs. */
  readonly cpuUs: number;
  /** Main thread CPU per event, µs. */
  readonly mainUs: number;
}

export function measuredSince(start: CpuMark, events: number): Measured {
  return measuredBetween(start, cpuMark(), events);
}

/** The rate and CPU time per event of `events` done between two marks. */
export function measuredBetween(start: CpuMark, end: CpuMark, events: number): Measured {
  return {
    perSecond: events / ((end.at - start.at) / 1000),
    cpuUs: (end.processUs - start.processUs) / events,
    mainUs: (end.mainUs - start.mainUs) / events,
  };
}

/**
 * The share of a run's events counted as warm-up: the steady-state figures start once this share
 * is acknowledged. The start of a run carries fixed costs (the JIT compiling the hot path,
 * LevelDB opening its files, the first compactions) that a long-running daemon pays once.
 */
export const WARM_UP_SHARE = 0.2;

/** The events of a run of `events` after which its steady state is measured. */
export const warmUpEvents = (events: number) => Math.ceil(events * WARM_UP_SHARE);

/**
 * A run measured whole, and again over its steady state: from the mark taken once the warm-up
 * share was acknowledged to the end, divided by the events acknowledged in that span.
 */
export interface RunMeasured extends Measured {
  readonly steady: Measured;
}

/** The whole run since `start`, and its steady state since `warm`, when `warmEvents` were done. */
export function runMeasuredSince(
  start: CpuMark,
  warm: CpuMark,
  warmEvents: number,
  events: number,
): RunMeasured {
  const end = cpuMark();
  return { ...measuredBetween(start, end, events), steady: measuredBetween(warm, end, events - warmEvents) };
}
