/**
 * The running daemon's captures of its readers' raw traffic (capture-format.ts), served on the
 * control socket to `readpoint record`, which cannot open a device the daemon holds:
 *
 * - `capture.start {reader}` -> `{session, header}`: from now on the reader's raw reads are kept
 *   for the session, bounded (SESSION_MAX_BYTES; past it reads are dropped and counted).
 * - `capture.next {session}` -> `{lines, reads, dropped, ended}`: the lines kept since the last
 *   call (at most ANSWER_MAX_BYTES of them), the reads taken and dropped so far. A session not
 *   asked for SESSION_IDLE_MS (its recorder died) ends by itself.
 * - `capture.stop {session}` -> the same, with every line left, and the session ends.
 * - `capture.ring {reader}` -> `{session, header, dropped}`: a finished session holding the
 *   reader's ring (capture-ring.ts, the reader's `capture.ringMinutes`), read with `capture.next`
 *   until `ended`.
 *
 * It watches the reads through a read tap, added only while a session or a ring needs it: a
 * gateway that records nothing pays nothing. On the read path a ring copies the read into its
 * buffer; a session makes the read's line (once for all sessions). O(1), no I/O, bounded.
 */
import type { ReaderConfig } from '../../config/schema.js';
import type { RawRead } from '../../drivers/driver.js';
import type { ControlCommands } from '../inventory/control.js';
import type { ReadTap, ReadTaps } from '../taps/read-taps.js';
import { captureHeader, readLine } from './capture-format.js';
import { CaptureRing } from './capture-ring.js';

/** Lines a session keeps between two `capture.next`, bytes at most. */
export const SESSION_MAX_BYTES = 8 * 1024 * 1024;
/** Lines one answer carries at most, bytes (the control socket's answers stay small). */
export const ANSWER_MAX_BYTES = 1024 * 1024;
/** A session not asked for this long is ended (its recorder is gone). */
export const SESSION_IDLE_MS = 30_000;
/** Sessions open at once, at most. */
export const MAX_SESSIONS = 4;

interface Session {
  readonly readerId: string;
  lines: string[];
  bytes: number;
  reads: number;
  dropped: number;
  askedAt: number;
  /** No more reads come (a ring's session): it ends once its lines are taken. */
  readonly finished: boolean;
}

export interface CaptureAnswer {
  readonly lines: string[];
  readonly reads: number;
  readonly dropped: number;
  readonly ended: boolean;
}

export class ReaderCaptures {
  private readers = new Map<string, ReaderConfig>();
  private readonly rings = new Map<string, CaptureRing>();
  private readonly sessions = new Map<string, Session>();
  private lastId = 0;
  private untap: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Monotonic offset 0 of every capture line, and its wall-clock time. */
  private readonly origin = { mono: performance.now(), at: Date.now() };

  constructor(
    private readonly gatewayId: string,
    private readonly taps: ReadTaps,
    readers: readonly ReaderConfig[],
  ) {
    this.reconfigure(readers);
  }

  /** Takes the readers of a (re)loaded config: rings start, change their limits or stop. */
  reconfigure(readers: readonly ReaderConfig[]): void {
    this.readers = new Map(readers.map((r) => [r.id, r]));
    for (const id of this.rings.keys()) if (!this.readers.get(id)?.capture) this.rings.delete(id);
    for (const r of readers) {
      if (!r.capture) continue;
      const limits = {
        windowMs: r.capture.ringMinutes * 60_000,
        maxBytes: (r.capture.ringMaxMb ?? 16) * 1024 * 1024,
      };
      const ring = this.rings.get(r.id);
      if (ring?.limits.windowMs !== limits.windowMs || ring.limits.maxBytes !== limits.maxBytes)
        this.rings.set(r.id, new CaptureRing(limits));
    }
    this.retap();
  }

  register(control: ControlCommands): void {
    control.register('capture.start', async (args) => this.start(readerArg(args)));
    control.register('capture.next', async (args) => this.next(sessionArg(args), false));
    control.register('capture.stop', async (args) => this.next(sessionArg(args), true));
    control.register('capture.ring', async (args) => this.ring(readerArg(args)));
  }

  /** Ends every session and stops watching (the daemon stops). */
  stop(): void {
    this.sessions.clear();
    this.rings.clear();
    this.retap();
  }

  start(readerId: string): { session: string; header: object } {
    const reader = this.reader(readerId);
    if (this.sessions.size >= MAX_SESSIONS)
      throw new Error(`${MAX_SESSIONS} captures are running already; stop one first`);
    const id = this.open({ readerId, lines: [], bytes: 0, reads: 0, dropped: 0, finished: false });
    return { session: id, header: captureHeader('daemon', this.gatewayId, reader, this.origin.at) };
  }

  ring(readerId: string): { session: string; header: object; dropped: number } {
    const reader = this.reader(readerId);
    const ring = this.rings.get(readerId);
    if (!ring) throw new Error(`reader ${readerId} keeps no ring: set capture.ringMinutes on it`);
    const lines = ring.lines(performance.now(), this.origin.mono, readerId);
    const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
    const id = this.open({
      readerId,
      lines,
      bytes,
      reads: lines.length,
      dropped: ring.dropped,
      finished: true,
    });
    return {
      session: id,
      header: captureHeader('ring', this.gatewayId, reader, this.origin.at),
      dropped: ring.dropped,
    };
  }

  next(id: string, stop: boolean): CaptureAnswer {
    const s = this.sessions.get(id);
    if (!s)
      throw new Error(
        `no capture session ${id} (it ended, or was not asked for ${SESSION_IDLE_MS / 1000} s)`,
      );
    s.askedAt = performance.now();
    let n = 0;
    let bytes = 0;
    if (stop) n = s.lines.length;
    else
      while (n < s.lines.length && bytes + s.lines[n]!.length < ANSWER_MAX_BYTES)
        bytes += s.lines[n++]!.length + 1;
    // One oversize line still goes: a session never stalls.
    if (n === 0 && s.lines.length > 0) n = 1;
    const lines = s.lines.splice(0, n);
    s.bytes -= lines.reduce((sum, l) => sum + l.length + 1, 0);
    const ended = stop || (s.finished && s.lines.length === 0);
    if (ended) {
      this.sessions.delete(id);
      this.retap();
    }
    return { lines, reads: s.reads, dropped: s.dropped, ended };
  }

  private reader(id: unknown): ReaderConfig {
    const reader = this.readers.get(id as string);
    if (!reader)
      throw new Error(
        `no reader ${JSON.stringify(id)} on this gateway (its readers: ${[...this.readers.keys()].join(', ')})`,
      );
    return reader;
  }

  private open(session: Omit<Session, 'askedAt'>): string {
    const id = `c${++this.lastId}`;
    this.sessions.set(id, { ...session, askedAt: performance.now() });
    this.retap();
    return id;
  }

  private readonly tap: ReadTap = {
    raw: (read: RawRead) => {
      this.rings.get(read.readerId)?.add(read);
      if (this.sessions.size === 0) return;
      let line: string | undefined;
      for (const s of this.sessions.values()) {
        if (s.readerId !== read.readerId || s.finished) continue;
        line ??= readLine(read, this.origin.mono);
        if (s.bytes + line.length + 1 > SESSION_MAX_BYTES) {
          s.dropped++;
          continue;
        }
        s.lines.push(line);
        s.bytes += line.length + 1;
        s.reads++;
      }
    },
  };

  /** Watches the reads only while a session or a ring needs them; ends idle sessions. */
  private retap(): void {
    const wanted = this.sessions.size > 0 || this.rings.size > 0;
    if (wanted && !this.untap) this.untap = this.taps.add(this.tap);
    else if (!wanted && this.untap) {
      this.untap();
      this.untap = undefined;
    }
    if (this.sessions.size > 0 && !this.idleTimer) {
      this.idleTimer = setInterval(() => this.endIdle(), SESSION_IDLE_MS / 6);
      this.idleTimer.unref();
    } else if (this.sessions.size === 0 && this.idleTimer) {
      clearInterval(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  private endIdle(): void {
    const now = performance.now();
    for (const [id, s] of this.sessions) if (now - s.askedAt > SESSION_IDLE_MS) this.sessions.delete(id);
    this.retap();
  }
}

function readerArg(args: unknown): string {
  const reader = (args as { reader?: unknown } | null)?.reader;
  if (typeof reader !== 'string' || reader.length === 0)
    throw new Error('give the reader: {"reader": "<id>"}');
  return reader;
}

function sessionArg(args: unknown): string {
  const session = (args as { session?: unknown } | null)?.session;
  if (typeof session !== 'string') throw new Error('give the session: {"session": "<id>"}');
  return session;
}
