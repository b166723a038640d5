/**
 * The bench's Markdown table, printed a row at a time as each figure is measured: a phase that
 * fails later loses nothing printed before it. A failed section prints its error in its row and
 * the bench goes on; `failures` counts them for the exit code.
 */
import type { PairSummary, Spread } from './pairs.js';

export const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const ratio = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

export function header(): void {
  console.log('| measure | readpoint | ceiling (same run) | ratio | target |\n|---|---|---|---|---|');
}

export function row(what: string, value: string, ceiling = '', ratioText = '', target = ''): void {
  console.log(`| ${[what, value, ceiling, ratioText, target].map(cell).join(' | ')} |`);
}

/** `>= 0.5: met` or `>= 0.5: missed` for a ratio where higher is better. */
export function atLeast(value: number, target: number): string {
  return `>= ${target}: ${value >= target ? 'met' : 'missed'}`;
}

/** The median ratio and, in brackets, the lowest and highest pair's. */
export function spread(s: Spread): string {
  return s.min === s.max ? ratio(s.median) : `${ratio(s.median)} (${ratio(s.min)}-${ratio(s.max)})`;
}

/**
 * The two rows of a paired measure: events/s, and CPU time per event. `shownOnly`: the targets'
 * verdicts are shown for this figure, but judged on another row's.
 */
export function pairRows(
  what: string,
  ceilingName: string,
  s: PairSummary,
  targets: { rate?: number; cpu?: number; shownOnly?: boolean } = {},
): void {
  const verdict = (value: number, target: number | undefined) =>
    target === undefined
      ? ''
      : `${atLeast(value, target)}${targets.shownOnly ? ' (shown; judged on the whole run)' : ''}`;
  row(
    `${what}: events/s, median of ${s.pairs} alternated pairs (ratio: median of the pairs', lowest-highest in brackets)`,
    fmt(s.ours.perSecond),
    `${fmt(s.ceiling.perSecond)} (${ceilingName})`,
    spread(s.rate),
    verdict(s.rate.median, targets.rate),
  );
  const us = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
  row(
    `${what}: CPU µs per event, process (main thread), same pairs (ratio: ceiling / readpoint, process)`,
    `${us(s.ours.cpuUs)} (${us(s.ours.mainUs)})`,
    `${us(s.ceiling.cpuUs)} (${us(s.ceiling.mainUs)})`,
    spread(s.cpu),
    verdict(s.cpu.median, targets.cpu),
  );
}

/**
 * Whether a section runs under BENCH_ONLY (`words`: its comma-separated words, lower case): with
 * none, every section; else those whose name starts with one of them. Mosquitto always starts,
 * for the sections that need it.
 */
export function selected(name: string, words: readonly string[]): boolean {
  if (words.length === 0 || name === 'Mosquitto') return true;
  const lower = name.toLowerCase();
  return words.some((w) => lower.startsWith(w));
}

const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((w) => w.trim().toLowerCase())
  .filter((w) => w !== '');

let failures = 0;

/** Sections that failed so far. */
export function failed(): number {
  return failures;
}

/**
 * Runs one section of the bench (unless BENCH_ONLY leaves it out); its failure is printed as its
 * row and counted, not thrown.
 */
export async function section(name: string, work: () => Promise<void>): Promise<void> {
  if (!selected(name, only)) return;
  try {
    await work();
  } catch (err) {
    failures++;
    process.stderr.write(`bench ${name} failed: ${(err as Error).stack ?? err}\n`);
    row(`${name}`, `FAILED: ${(err as Error).message ?? String(err)}`);
  }
}
