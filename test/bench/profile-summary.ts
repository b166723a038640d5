/**
 * A V8 CPU profile (`node --cpu-prof`, a .cpuprofile file) summed up as the bench's docs give it:
 * self time per function and per package, in µs per event.
 *
 *   node dist/test/bench/profile-summary.js <file.cpuprofile> --events <n> [--from <µs> --to <µs>] [--main-us <µs>] [--top <rows>]
 *
 * `--from`/`--to` keep the samples of one window (the monotonic µs clock of process.hrtime, which
 * the profile's timestamps use; the gateway phase reports its run's as fromUs/toUs), so start-up
 * and shutdown are left out. The profile samples the main thread only: the figures are main-thread
 * time, the garbage collector's pauses on it included; LevelDB's and libuv's threads are not in it.
 * Idle time is left out of the totals.
 *
 * A sample stands for the wall time until the next one: on a busy machine that includes time the
 * thread waited for a core, so the sampled busy time exceeds the thread's CPU time while the
 * shares hold. With `--main-us` (the main thread's CPU µs per event, from /proc, as the gateway
 * phase reports it as mainUs) the µs per event are the shares of that figure.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  /** Only for functions: where the function comes from. */
  readonly pkg?: string;
  readonly ms: number;
  readonly usPerEvent: number;
  /** Of the window's busy (not idle) time. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly events: number;
  /** Busy time sampled in the window, ms. */
  readonly busyMs: number;
  /** Sampled busy time per event, µs. */
  readonly sampledUsPerEvent: number;
  /** What the rows' µs per event add up to: the main thread's CPU µs per event if given, else sampled. */
  readonly usPerEvent: number;
  readonly packages: readonly SelfTime[];
  readonly functions: readonly SelfTime[];
}

const IDLE = '(idle)';

/** Where a function comes from: a package, a folder of readpoint, Node's core, V8. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName.startsWith('(')) return functionName;
    return 'V8 builtins and native addons';
  }
  if (url.startsWith('node:')) return 'Node core';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) {
    const path = url.slice(dist + 6);
    return `readpoint ${path.slice(0, path.lastIndexOf('/') + 1)}`;
  }
  return url;
}

function functionName(frame: CallFrame): string {
  const { url, functionName: name, lineNumber } = frame;
  if (url === '') return name || '(anonymous)';
  const nm = url.lastIndexOf('/node_modules/');
  const dist = url.lastIndexOf('/dist/');
  const file = nm >= 0 ? url.slice(nm + 14) : dist >= 0 ? url.slice(dist + 6) : url.replace(/^file:\/\//, '');
  return `${name || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/**
 * Self time of each profile node, µs: a sample lasts until the next one (the last until the
 * profile's end), and counts when it was taken within [fromUs, toUs].
 */
export function selfTimes(profile: CpuProfile, fromUs = -Infinity, toUs = Infinity): Map<number, number> {
  const self = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    const next = i + 1 < samples.length ? at + (timeDeltas[i + 1] ?? 0) : profile.endTime;
    if (at < fromUs || at > toUs) continue;
    const id = samples[i]!;
    self.set(id, (self.get(id) ?? 0) + Math.max(0, next - at));
  }
  return self;
}

function ranked(
  totals: Map<string, { us: number; pkg?: string }>,
  perEvent: number,
  busyUs: number,
  top: number,
) {
  return [...totals]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, top)
    .map(([name, t]) => {
      const share = busyUs > 0 ? t.us / busyUs : Number.NaN;
      return {
        name,
        ...(t.pkg !== undefined ? { pkg: t.pkg } : {}),
        ms: t.us / 1000,
        usPerEvent: share * perEvent,
        share,
      };
    });
}

export function summarizeProfile(
  profile: CpuProfile,
  o: { events: number; fromUs?: number; toUs?: number; mainUs?: number; top?: number },
): ProfileSummary {
  const self = selfTimes(profile, o.fromUs, o.toUs);
  const byPackage = new Map<string, { us: number }>();
  const byFunction = new Map<string, { us: number; pkg: string }>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us || node.callFrame.functionName === IDLE) continue;
    busyUs += us;
    const pkg = packageOf(node.callFrame);
    const p = byPackage.get(pkg) ?? { us: 0 };
    p.us += us;
    byPackage.set(pkg, p);
    const name = functionName(node.callFrame);
    const f = byFunction.get(name) ?? { us: 0, pkg };
    f.us += us;
    byFunction.set(name, f);
  }
  const top = o.top ?? 30;
  const sampled = busyUs / o.events;
  const perEvent = o.mainUs !== undefined && Number.isFinite(o.mainUs) ? o.mainUs : sampled;
  return {
    events: o.events,
    busyMs: busyUs / 1000,
    sampledUsPerEvent: sampled,
    usPerEvent: perEvent,
    packages: ranked(byPackage, perEvent, busyUs, top),
    functions: ranked(byFunction, perEvent, busyUs, top),
  };
}

/** The summary as two Markdown tables. */
export function formatSummary(s: ProfileSummary): string {
  const us = (n: number) => n.toFixed(2);
  const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
  const lines = [
    s.usPerEvent === s.sampledUsPerEvent
      ? `Main thread busy ${s.busyMs.toFixed(0)} ms in the samples over ${s.events.toLocaleString('en-US')} events: ${us(s.usPerEvent)} µs per event.`
      : `Main thread CPU ${us(s.usPerEvent)} µs per event (from /proc), shared out as the samples are (busy ${s.busyMs.toFixed(0)} ms in the samples over ${s.events.toLocaleString('en-US')} events: ${us(s.sampledUsPerEvent)} µs per event of wall time).`,
    '',
    '| package (self time) | µs/event | share |',
    '|---|---|---|',
    ...s.packages.map((p) => `| ${p.name} | ${us(p.usPerEvent)} | ${pct(p.share)} |`),
    '',
    '| function (self time) | package | µs/event | share |',
    '|---|---|---|---|',
    ...s.functions.map((f) => `| \`${f.name}\` | ${f.pkg} | ${us(f.usPerEvent)} | ${pct(f.share)} |`),
  ];
  return lines.join('\n');
}

function option(args: readonly string[], name: string): number | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value)) throw new TypeError(`${name} needs a number`);
  return value;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args[0];
  const events = option(args, '--events');
  if (!file || !events) {
    process.stderr.write(
      'usage: profile-summary.js <file.cpuprofile> --events <n> [--from <µs> --to <µs>] [--main-us <µs>] [--top <rows>]\n',
    );
    process.exit(64);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const from = option(args, '--from');
  const to = option(args, '--to');
  const top = option(args, '--top');
  const mainUs = option(args, '--main-us');
  console.log(
    formatSummary(
      summarizeProfile(profile, {
        events,
        ...(from !== undefined ? { fromUs: from } : {}),
        ...(to !== undefined ? { toUs: to } : {}),
        ...(mainUs !== undefined ? { mainUs } : {}),
        ...(top !== undefined ? { top } : {}),
      }),
    ),
  );
}
