/**
 * `readpoint status`'s verdict and its block for people, from the gateway's retained status
 * (`online` / `offline`) and its last health report. Pure: no I/O; `now` is given.
 */
import type { HealthPayload, ReaderHealth } from '../contract/topics.js';
import { mibText } from '../mebibytes.js';
import { clean, timeFormatter } from './tail-format.js';

/** Exit codes of `readpoint status` (64 for bad options, as every command). */
export const STATUS_EXIT = {
  healthy: 0,
  unhealthy: 1,
  offline: 3,
  noHealth: 4,
  unreachable: 5,
} as const;

export interface StatusInput {
  /** The gateway asked about, from the config. */
  readonly gateway: string;
  readonly site: string;
  /** The retained payload of the status topic, if any (`online` or `offline`). */
  readonly status?: string;
  readonly health?: HealthPayload;
  /** How often health is published (uplink.healthIntervalS); older health is stale. */
  readonly healthIntervalS?: number;
  readonly now: number;
}

export interface StatusVerdict {
  readonly code: number;
  /** One word for the headline: healthy, unhealthy, offline, unknown. */
  readonly state: 'healthy' | 'unhealthy' | 'offline' | 'unknown';
  /** What is wrong, one short phrase each. */
  readonly problems: readonly string[];
}

/** Seconds since the health report was made (at least 0: clocks differ). */
export function healthAgeS(health: HealthPayload, now: number): number | undefined {
  const at = Date.parse(health.time);
  return Number.isNaN(at) ? undefined : Math.max(0, (now - at) / 1000);
}

/** Stale: more than two heartbeats missed, with some slack for a slow broker. */
export const staleAfterS = (intervalS: number) => 2 * intervalS + 5;

export function statusVerdict(input: StatusInput): StatusVerdict {
  const { health, status, now } = input;
  if (!health) {
    const problems = [status === undefined ? 'nothing retained' : 'no health retained'];
    return {
      code: status === 'offline' ? STATUS_EXIT.offline : STATUS_EXIT.noHealth,
      state: status === 'offline' ? 'offline' : 'unknown',
      problems,
    };
  }
  if (status === 'offline') return { code: STATUS_EXIT.offline, state: 'offline', problems: ['offline'] };
  const problems: string[] = [];
  const age = healthAgeS(health, now);
  if (input.healthIntervalS !== undefined && age !== undefined && age > staleAfterS(input.healthIntervalS))
    problems.push(`no health for ${duration(age)} (expected every ${duration(input.healthIntervalS)})`);
  for (const r of health.readers)
    if (!(r.connected ?? r.state === 'connected')) problems.push(`reader ${clean(r.id)} ${clean(r.state)}`);
  if (health.uplink.state !== 'connected') problems.push(`uplink ${clean(health.uplink.state)}`);
  if (health.outbox.writeError !== undefined) problems.push('outbox cannot be written');
  else if (health.outbox.readingStopped) problems.push('readers held back: outbox full');
  return problems.length > 0
    ? { code: STATUS_EXIT.unhealthy, state: 'unhealthy', problems }
    : { code: STATUS_EXIT.healthy, state: 'healthy', problems };
}

/** `4 s`, `3 min 5 s`, `2 h 13 min`, `3 d 4 h`. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) {
    const m = Math.floor((s % 3600) / 60);
    return m === 0 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 3600)} h ${m} min`;
  }
  const h = Math.floor((s % 86_400) / 3600);
  return h === 0 ? `${Math.floor(s / 86_400)} d` : `${Math.floor(s / 86_400)} d ${h} h`;
}

const rate = (n: number) => `${Math.round(n * 10) / 10}/s`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The block for people, like `systemctl status`: a headline, then one line per part. */
export function formatStatus(input: StatusInput, verdict: StatusVerdict, timeZone?: string): string {
  const { health, status } = input;
  const at = timeFormatter(timeZone);
  const name = `${clean(input.gateway)} at ${clean(input.site)}`;
  const headline = {
    healthy: `● readpoint ${name}: online, healthy`,
    unhealthy: `● readpoint ${name}: online, unhealthy: ${verdict.problems.join('; ')}`,
    offline: `○ readpoint ${name}: offline`,
    unknown: `? readpoint ${name}: ${verdict.problems.join('; ')}`,
  }[verdict.state];
  const lines = [headline];
  const row = (label: string, text: string) => lines.push(`${label.padStart(9)}: ${text}`);
  row('Status', status === undefined ? 'none retained' : clean(status));
  if (!health) {
    lines.push(
      '',
      status === undefined
        ? 'The broker holds nothing for this gateway: has it ever run with this config and reached this broker?'
        : 'The broker holds its status but no health report: the gateway has not sent one to this broker yet.',
    );
    return `${lines.join('\n')}\n`;
  }
  const age = healthAgeS(health, input.now);
  row(
    'Health',
    `${at(health.time)} (${age === undefined ? 'age unknown' : `${duration(age)} ago`}), up ${duration(health.uptimeS)}`,
  );
  const up = health.uplink;
  row(
    'Uplink',
    `${clean(up.state)}, ${plural(up.connects, 'connect')}, ${up.inflight} in flight${up.rttMs !== undefined ? `, rtt ${up.rttMs} ms` : ''}`,
  );
  lines.push(
    ...outboxLines(health).map(
      (l, i) => `${(i === 0 ? 'Outbox' : '').padStart(9)}${i === 0 ? ':' : ' '} ${l}`,
    ),
  );
  row('Events', `${health.events.published} published, ${plural(health.events.rejected, 'read')} rejected`);
  if (health.config) row('Config', configText(health.config, input.now, at));
  if (health.memory) row('Memory', memoryText(health.memory));
  const holds = holdsText(health.inventory?.holds);
  if (holds) row('Holds', holds);
  lines.push(`${'Readers'.padStart(9)}:${health.readers.length === 0 ? ' none' : ''}`);
  lines.push(...readerLines(health.readers, age ?? 0));
  const warnings = health.warnings ?? [];
  if (warnings.length > 0) {
    lines.push(`${'Warnings'.padStart(9)}:`);
    for (const w of warnings) lines.push(`    ${clean(w)}`);
  }
  if (verdict.state === 'offline')
    lines.push(
      '',
      `The gateway is offline (stopped, or it cannot reach this broker): what is shown is its last health, ${age === undefined ? 'of unknown age' : `${duration(age)} old`}.`,
    );
  return `${lines.join('\n')}\n`;
}

function outboxLines(health: HealthPayload): string[] {
  const o = health.outbox;
  const first = [
    `${plural(o.depth, 'event')} undelivered`,
    ...(o.oldestUndeliveredAgeS !== undefined ? [`oldest ${duration(o.oldestUndeliveredAgeS)}`] : []),
    `${o.dropped} dropped`,
    clean(o.policy),
  ].join(', ');
  const runway =
    o.runwayS === null
      ? `not filling (in ${rate(o.appendRate)}, out ${rate(o.ackRate)})`
      : o.runwayS === 0
        ? 'full'
        : `full in ${duration(o.runwayS)} at this rate (in ${rate(o.appendRate)}, out ${rate(o.ackRate)})`;
  const lines = [first, `runway: ${runway}`];
  if (o.writeError !== undefined) lines.push(`cannot be written: ${clean(o.writeError)}`);
  if (o.readingStopped) lines.push('readers held back now');
  return lines;
}

const mib = (bytes: number) => mibText(bytes, 1);

/** `54.2 MiB own of a 128 MiB budget, limit 256 MiB`. */
function memoryText(m: NonNullable<HealthPayload['memory']>): string {
  const own = m.ownBytes !== undefined ? `${mib(m.ownBytes)} own` : 'own unknown';
  return `${own} of a ${mib(m.budgetBytes)} budget, ${m.limitBytes !== undefined ? `limit ${mib(m.limitBytes)}` : 'no limit'}`;
}

/**
 * `52001 entries, index 0.5 MiB of its 1 MiB`, with holds on; past the limit it says so briefly,
 * the standing warning below saying what it means.
 */
function holdsText(h: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const total = (h?.entries as { total?: unknown } | undefined)?.total;
  const { indexBytes, indexLimitBytes } = h ?? {};
  if (typeof total !== 'number' || typeof indexBytes !== 'number') return undefined;
  const text = `${plural(total, 'entry', 'entries')}, index ${mib(indexBytes)}`;
  if (typeof indexLimitBytes !== 'number') return text;
  return indexBytes > indexLimitBytes
    ? `${text}, over its ${mib(indexLimitBytes)} (holds.indexMb): see Warnings`
    : `${text} of its ${mib(indexLimitBytes)}`;
}

function configText(
  c: NonNullable<HealthPayload['config']>,
  now: number,
  at: (iso: unknown) => string,
): string {
  const loaded = `generation ${c.generation}, loaded ${at(c.loadedAt)}`;
  if (!c.lastReload) return `${loaded}, never reloaded`;
  const ago = Number.isNaN(Date.parse(c.lastReload.at))
    ? clean(c.lastReload.at)
    : `${duration(Math.max(0, (now - Date.parse(c.lastReload.at)) / 1000))} ago`;
  return `${loaded}; last reload ${ago}: ${c.lastReload.ok ? 'applied' : 'FAILED'}: ${clean(c.lastReload.message)}`;
}

/** `3 rejects (check-digit 2, overlong 1)`: the most frequent code first. */
function rejectsText(r: ReaderHealth): string {
  const codes = Object.entries(r.rejectsByCode ?? {}).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const total = plural(r.rejects, 'reject');
  return codes.length === 0 ? total : `${total} (${codes.map(([c, n]) => `${clean(c)} ${n}`).join(', ')})`;
}

/** One aligned line per reader; the last read's age is counted from now, not from the report. */
function readerLines(readers: readonly ReaderHealth[], reportAgeS: number): string[] {
  const cells = readers.map((r) => [
    clean(r.id),
    clean(r.driver),
    clean(r.state),
    plural(r.reads, 'read'),
    r.readsPerMin !== undefined ? `${r.readsPerMin}/min` : '-/min',
    rejectsText(r),
    r.lastReadAgeS !== undefined ? `last read ${duration(r.lastReadAgeS + reportAgeS)} ago` : 'no read yet',
    ...(r.lastError ? [`error: ${clean(r.lastError)}`] : []),
  ]);
  const widths: number[] = [];
  for (const row of cells) for (const [i, c] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  const right = new Set([3, 4]);
  return cells.map((row) =>
    `    ${row.map((c, i) => (i === row.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`.trimEnd(),
  );
}
