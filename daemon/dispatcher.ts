/**
 * The dispatcher moves events from the outbox to the uplink with at most the uplink's in-flight
 * window outstanding. An event is acknowledged to the outbox (and so deleted) only after the
 * broker's PUBACK. When the connection drops, every unacknowledged event is rewound and sent
 * again, in order, after the reconnect: a consumer sees each event at least once, and duplicates
 * only from the in-flight window.
 *
 * Reading the outbox is not on the publishing path: each lane keeps a few hundred entries taken
 * ahead in memory (`takeMax`), refilled in the background while the window is being published,
 * so a backlog drains at the speed of PUBACKs rather than one LevelDB read per window.
 *
 * Replay after an outage. On every (re)connect with events waiting, the outbox splits them off
 * as the backlog (`splitBacklog()`). With `liveShare` > 0, up to that share of the window then
 * carries events read since the connect (the live lane) while the rest drains the backlog, each
 * lane in sequence order; a live lane with nothing to send leaves its share to the backlog. So
 * a dock door's new reads reach the consumer within a round trip even behind an hour of backlog,
 * at the cost of arriving before older events of the same read point (a consumer orders by
 * `rp:sequence` or by `eventTime`; `readpoint tail --dedup` reports them as late fills). With
 * `liveShare` 0 everything goes out in strict sequence order.
 */

import type { Logger } from './log.js';
import type { Outbox, OutboxEntry } from './outbox/outbox.js';
import type { Uplink } from './uplink/uplink.js';

export interface DispatcherStats {
  readonly published: number;
  readonly republished: number;
  /** Backlog splits made at (re)connects, and events sent on the live lane during them. */
  readonly replays: number;
  readonly livePublished: number;
}

export interface DispatcherOptions {
  /** Events published and awaiting PUBACK at most (uplink.inflight). */
  readonly window: number;
  /** Share of the window for live events while a backlog drains, 0..1 (uplink.liveShare). */
  readonly liveShare?: number;
  /** Entries taken ahead from the outbox per lane at most. */
  readonly takeMax?: number;
}

/** A backlog being replayed: its last sequence number, since when, its events delivered and in flight. */
interface Replay {
  readonly end: number;
  readonly since: number;
  delivered: number;
  inflight: number;
}

/** Entries taken from the outbox and not yet published, with the take refilling them. */
class Lane {
  /** Published entries are cleared from it, so their payloads need not wait for the chunk's last. */
  private ready: (OutboxEntry | undefined)[] = [];
  /** Where the next entry to publish is in `ready` (no shifting). */
  private head = 0;
  inflight = 0;

  get waiting(): number {
    return this.ready.length - this.head;
  }

  /**
   * Entries taken, behind those waiting. The ones already published leave the array first: a
   * lane topped up before it ran empty would otherwise hold every entry it ever published (and
   * its payload) until it did, long enough for the collector to promote them to old space.
   */
  add(entry: OutboxEntry): void {
    if (this.head > 0) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    this.ready.push(entry);
  }

  next(): OutboxEntry {
    const entry = this.ready[this.head]!;
    this.ready[this.head++] = undefined;
    if (this.head === this.ready.length) {
      this.ready = [];
      this.head = 0;
    }
    return entry;
  }

  clear(): void {
    this.ready = [];
    this.head = 0;
  }
}

export class Dispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private entries: Promise<void> | undefined;
  private readonly sleepers = new Set<() => void>();
  private tick: NodeJS.Timeout | undefined;
  private readonly main = new Lane();
  private readonly live = new Lane();
  /** One take at a time, for both lanes (the outbox's cursors then never race). */
  private filling: Promise<void> | undefined;
  /** While a backlog replays: its last sequence number (from the outbox's split). */
  private replayEnd: number | undefined;
  /** The replay under way, for the line that says it has drained: until its last PUBACK. */
  private replay: Replay | undefined;
  /** Bumped on rewind: a take that was under way then hands out nothing stale. */
  private generation = 0;
  private published = 0;
  private livePublished = 0;
  private rewinds = 0;
  private replays = 0;
  private needRewind = false;
  private needSplit = true;
  private readonly window: number;
  private readonly liveSlots: number;
  private readonly takeMax: number;
  private readonly onDown = () => {
    this.needRewind = true;
    this.nudge();
  };
  private readonly onUp = () => {
    this.needSplit = true;
    this.nudge();
  };

  constructor(
    private readonly outbox: Outbox,
    private readonly uplink: Uplink,
    private readonly log: Logger,
    options: DispatcherOptions | number,
  ) {
    const o = typeof options === 'number' ? { window: options } : options;
    this.window = o.window;
    const share = Math.min(1, Math.max(0, o.liveShare ?? 0));
    this.liveSlots = share > 0 ? Math.max(1, Math.round(o.window * share)) : 0;
    this.takeMax = o.takeMax ?? Math.max(256, o.window);
  }

  start(): void {
    this.running = true;
    // Bounds every sleep of the loop to about a second (a lost wake-up costs a second, not a stall).
    this.tick = setInterval(() => this.nudge(), 1000);
    this.tick.unref();
    this.uplink.on('down', this.onDown);
    this.uplink.on('up', this.onUp);
    this.loop = this.run().catch((err) => this.log.fatal({ err }, 'dispatcher stopped unexpectedly'));
  }

  /** Stops taking new events and waits (bounded) for the PUBACKs of those in flight. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.uplink.off('down', this.onDown);
    this.uplink.off('up', this.onUp);
    this.nudge();
    await this.loop;
    await this.filling;
    clearInterval(this.tick);
    const deadline = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < deadline) await this.sleepUntilNudged(deadline - Date.now());
  }

  stats(): DispatcherStats {
    return {
      published: this.published,
      republished: this.rewinds,
      replays: this.replays,
      livePublished: this.livePublished,
    };
  }

  private get inflight(): number {
    return this.main.inflight + this.live.inflight;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.uplink.status().state !== 'connected') {
        await this.pause();
        continue;
      }
      if (this.needRewind) {
        if (this.inflight > 0) {
          await this.pause();
          continue;
        }
        // A take under way would move the outbox's cursor after the rewind: let it finish first.
        await this.filling;
        this.needRewind = false;
        this.generation++;
        this.main.clear();
        this.live.clear();
        this.replayEnd = undefined;
        // A connection lost during the replay ends it; the next connect draws a new line.
        this.replay = undefined;
        this.outbox.rewind();
        this.rewinds++;
        this.needSplit = true;
      }
      // Not while a take is under way: it could carry the cursor past the line the split draws.
      if (this.needSplit && !this.filling) {
        this.needSplit = false;
        const end =
          this.liveSlots > 0 && this.replayEnd === undefined ? this.outbox.splitBacklog() : undefined;
        if (end !== undefined) {
          this.replayEnd = end;
          this.replay = { end, since: performance.now(), delivered: 0, inflight: 0 };
          this.replays++;
          this.log.info(
            { backlogEnd: end, depth: this.outbox.stats().depth, liveSlots: this.liveSlots },
            'replaying the backlog beside live events',
          );
        }
      }
      // The replay is over once the outbox's lanes merged and the backlog taken ahead is sent.
      if (
        this.replayEnd !== undefined &&
        !this.outbox.replaying() &&
        this.main.waiting === 0 &&
        !this.filling
      )
        this.replayEnd = undefined;
      // Drained: every backlog event is sent and acknowledged.
      if (this.replay && this.replayEnd === undefined && this.replay.inflight === 0)
        this.drained(this.replay);
      const replaying = this.replayEnd !== undefined;
      this.refill();
      if (this.main.waiting === 0 && this.live.waiting === 0) {
        await this.filling;
        // Nothing came: sleep until the outbox has entries (a take may answer without any I/O,
        // so taking again at once could spin without ever yielding to the event loop).
        if (this.main.waiting === 0 && this.live.waiting === 0) await this.waitForEntries();
        continue;
      }
      const free = this.window - this.inflight;
      // Every PUBACK frees a slot that is filled at once, from memory. (Waiting to refill the
      // window in chunks starves the link: with nothing to send, this side's TCP delays its ACKs
      // and a broker that batches small writes (Nagle) holds its next PUBACKs ~40 ms for them.)
      if (!this.uplink.canPublish() || free <= 0) {
        await this.pause();
        continue;
      }
      // Live first, within its share while the backlog replays; then the main lane.
      // (Work-conserving both ways: a live lane with nothing leaves its share to the backlog, and
      // while the backlog's next entries are still being read the live lane may use the window.)
      const capped = replaying && this.main.waiting > 0;
      const liveMax = capped ? Math.max(0, this.liveSlots - this.live.inflight) : free;
      let sent = this.publishFrom(this.live, Math.min(free, liveMax), true);
      sent += this.publishFrom(this.main, free - sent, false);
      if (sent === 0) await this.pause();
    }
  }

  /**
   * Takes more entries in the background for the lanes that run low: the live lane while the
   * outbox replays a backlog, then the main lane. After the outbox merged its lanes, the main
   * lane's takes carry events read after the split: they join the live lane, behind its own.
   * Wakes the loop only when it got some: an empty take must not spin the loop.
   */
  private refill(): void {
    if (this.filling) return;
    const split = this.outbox.replaying();
    // The outbox merged its lanes but the backlog taken ahead is still being sent: what the main
    // lane's take brings now is all live.
    const merged = this.replayEnd !== undefined && !split;
    const wantLive = split && this.live.waiting < this.window;
    const wantMain = (merged ? this.live : this.main).waiting < this.window;
    if (!wantLive && !wantMain) return;
    const generation = this.generation;
    const fill = async () => {
      let got = 0;
      if (wantLive) {
        const entries = await this.outbox.takeLive(this.takeMax - this.live.waiting);
        if (generation !== this.generation) return;
        for (const e of entries) this.live.add(e);
        got += entries.length;
      }
      if (wantMain) {
        const entries = await this.outbox.take(this.takeMax - (merged ? this.live : this.main).waiting);
        if (generation !== this.generation) return;
        const end = this.replayEnd;
        for (const e of entries) (end !== undefined && e.seq > end ? this.live : this.main).add(e);
        got += entries.length;
      }
      if (got > 0) this.nudge();
    };
    this.filling = fill().then(
      () => {
        this.filling = undefined;
      },
      (err: unknown) => {
        this.log.error({ err }, 'reading the outbox failed; trying again in 1 s');
        this.filling = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref()).then(() => {
          this.filling = undefined;
          this.nudge();
        });
      },
    );
  }

  private drained(replay: Replay): void {
    this.replay = undefined;
    this.log.info(
      {
        backlogEnd: replay.end,
        replayed: replay.delivered,
        seconds: Math.round((performance.now() - replay.since) / 100) / 10,
        depth: this.outbox.stats().depth,
      },
      'backlog drained',
    );
  }

  private publishFrom(lane: Lane, max: number, live: boolean): number {
    let sent = 0;
    while (sent < max && lane.waiting > 0) {
      const entry = lane.next();
      lane.inflight++;
      sent++;
      const seq = entry.seq;
      const backlog = this.replay && seq <= this.replay.end ? this.replay : undefined;
      if (backlog) backlog.inflight++;
      // A callback, not a promise: one closure per event is all the bookkeeping allocates. It
      // holds the sequence number, not the entry: the uplink keeps it until the PUBACK, and the
      // payload is free once written to the socket.
      this.uplink.send(entry.topic, entry.payload, (err) => {
        lane.inflight--;
        if (backlog) backlog.inflight--;
        if (err) {
          // Lost with the connection (or closed at stop): rewound and sent again after reconnect.
          this.needRewind = true;
        } else {
          this.published++;
          if (live) this.livePublished++;
          if (backlog) backlog.delivered++;
          this.outbox.ack(seq);
        }
        this.nudge();
      });
    }
    return sent;
  }

  /** Until the outbox has entries (one waiter at a time, reused: no per-loop garbage) or a nudge. */
  private async waitForEntries(): Promise<void> {
    if (!this.running) return;
    this.entries ??= this.outbox.waitForEntries().finally(() => {
      this.entries = undefined;
    });
    await Promise.race([this.entries, this.sleepUntilNudged()]);
  }

  /** The run loop's sleep, a second at most: none once stopping (a nudge from stop() may have come before it). */
  private pause(): Promise<void> {
    return this.running ? this.sleepUntilNudged() : Promise.resolve();
  }

  private nudge(): void {
    if (this.sleepers.size === 0) return;
    // A sleeper never adds one synchronously, so the whole set is woken and emptied.
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  /**
   * Sleeps until nudged, every sleeper woken by the next nudge, none lost. Without `timeoutMs` the
   * once-a-second tick is the bound: no timer per sleep (the loop sleeps once per PUBACK when the
   * window is full).
   */
  private sleepUntilNudged(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      if (timeoutMs === undefined) {
        this.sleepers.add(resolve);
        return;
      }
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.sleepers.add(wake);
    });
  }
}
