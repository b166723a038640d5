/**
 * The event's times, formatted cheaply and exactly as `Date.prototype.toISOString` and
 * `timeZoneOffset` (epcis.ts) format them. Events come in bursts of nearby times, so the text of
 * the last second and of the last day is kept, and the zone's offset is kept per quarter hour.
 */

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z + 1: beyond it (and before 1970) `toISOString` formats the time. */
const FAST_END = 253_402_300_800_000;
const QUARTER_MS = 900_000;

const TWO = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
/** `mmmZ` for each millisecond of a second. */
const MILLIS = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`);

let dayStart = Number.NaN;
let dayText = '';
let secondStart = Number.NaN;
let secondText = '';

/** `new Date(ms).toISOString()`, byte for byte (and the same RangeError for an invalid time). */
export function isoTime(ms: number): string {
  const inSecond = ms - secondStart;
  if (inSecond >= 0 && inSecond < 1000 && Number.isInteger(ms)) return secondText + MILLIS[inSecond];
  if (!(ms >= 0 && ms < FAST_END && Number.isInteger(ms))) return new Date(ms).toISOString();
  let inDay = ms - dayStart;
  if (!(inDay >= 0 && inDay < DAY_MS)) {
    dayStart = ms - (ms % DAY_MS);
    dayText = new Date(dayStart).toISOString().slice(0, 11);
    inDay = ms - dayStart;
  }
  const seconds = Math.floor(inDay / 1000);
  secondStart = dayStart + seconds * 1000;
  secondText = `${dayText}${TWO[Math.floor(seconds / 3600)]}:${TWO[Math.floor(seconds / 60) % 60]}:${TWO[seconds % 60]}.`;
  return secondText + MILLIS[ms - secondStart];
}

/** `+hh:mm` / `-hh:mm` of an offset in minutes east of UTC (as `timeZoneOffset` writes it). */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Minutes east of UTC of the process's time zone at `ms` (a Date's view; a test may inject another). */
export type ZoneClock = (ms: number) => number;
const localZone: ZoneClock = (ms) => -new Date(ms).getTimezoneOffset();

/**
 * The local zone's offset text at `ms`, kept per quarter hour. A quarter is kept only when the
 * offset at its first and last millisecond agree: no zone changes its offset twice within 15
 * minutes, so the offset is then the same throughout; a quarter holding a change (at any time
 * of day, e.g. 00:01 local) is asked of the zone at every call.
 */
export class ZoneOffsets {
  private quarter = Number.NaN;
  private text = '';

  constructor(private readonly zone: ZoneClock = localZone) {}

  at(ms: number): string {
    // A Date drops the fraction of a millisecond (towards zero): so does the quarter.
    const quarter = Math.floor(Math.trunc(ms) / QUARTER_MS);
    if (quarter === this.quarter) return this.text;
    const minutes = this.zone(ms);
    const start = quarter * QUARTER_MS;
    if (
      Number.isFinite(quarter) &&
      this.zone(start) === minutes &&
      this.zone(start + QUARTER_MS - 1) === minutes
    ) {
      this.quarter = quarter;
      this.text = offsetText(minutes);
      return this.text;
    }
    return offsetText(minutes);
  }
}

/** The process's zone offsets, shared by every read point. */
export const localOffsets = new ZoneOffsets();
