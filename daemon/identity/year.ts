/**
 * The current UTC year for GS1's two-digit-year window. The decoder asks on every date it checks,
 * so the year is recomputed only when the clock leaves the year it was computed for.
 */
let year = 0;
let yearStartsAt = 0;
let nextYearAt = 0;

export function thisYear(): number {
  const now = Date.now();
  if (now >= nextYearAt || now < yearStartsAt) {
    year = new Date(now).getUTCFullYear();
    yearStartsAt = Date.UTC(year, 0, 1);
    nextYearAt = Date.UTC(year + 1, 0, 1);
  }
  return year;
}
