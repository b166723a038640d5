/**
 * The dispatcher moves events from the outbox to the uplink, in sequence order, with at most the
 * uplink's in-flight window outstanding. An event is acknowledged to the outbox (and so deleted)
 * only after the broker's PUBACK. When the connection drops, every unacknowledged event is
 * rewound and sent again, in order, after the reconnect: a consumer sees each event at least
 * once, and duplicates only from the in-flight window.
 */

import type { Logger } from './log.js';
import type { Outbox } from './outbox/outbox.js';
import type { Uplink } from './uplink/uplink.js';

export interface DispatcherStats {
  readonly published: number;
  readonly republished: number;
}

export class Dispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private entries: Promise<void> | undefined;
  private readonly sleepers = new Set<() => void>();
  private inflight = 0;
  private published = 0;
  private rewinds = 0;
  private needRewind = false;
  private readonly onDown = () => {
    this.needRewind = true;
    this.nudge();
  };
  private readonly onUp = () => this.nudge();

  constructor(
    private readonly outbox: Outbox,
    private readonly uplink: Uplink,
    private readonly log: Logger,
    /** Events published and awaiting PUBACK at most (uplink.inflight). */
    private readonly window: number,
    private readonly takeMax = 256,
  ) {}

  start(): void {
    this.running = true;
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
    const deadline = Date.now() + timeoutMs;
    while (this.inflight > 0 && Date.now() < deadline) await this.sleepUntilNudged(deadline - Date.now());
  }

  stats(): DispatcherStats {
    return { published: this.published, republished: this.rewinds };
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.uplink.status().state !== 'connected') {
        await this.sleepUntilNudged();
        continue;
      }
      if (this.needRewind) {
        if (this.inflight > 0) {
          await this.sleepUntilNudged(1000);
          continue;
        }
        this.needRewind = false;
        this.outbox.rewind();
        this.rewinds++;
      }
      if (!this.uplink.canPublish()) {
        await this.sleepUntilNudged();
        continue;
      }
      const free = Math.min(this.takeMax, this.window - this.inflight);
      // Under load, refill the window in chunks rather than one outbox read per PUBACK.
      if (free <= 0 || (this.inflight > 0 && free < Math.min(32, Math.ceil(this.window / 4)))) {
        await this.sleepUntilNudged();
        continue;
      }
      const entries = await this.outbox.take(free);
      if (entries.length === 0) {
        // One waiter at a time, reused until an append wakes it (no per-loop garbage).
        this.entries ??= this.outbox.waitForEntries().finally(() => {
          this.entries = undefined;
        });
        await Promise.race([this.entries, this.sleepUntilNudged()]);
        continue;
      }
      for (const entry of entries) {
        this.inflight++;
        this.uplink.publish(entry.topic, entry.payload).then(
          () => {
            this.inflight--;
            this.published++;
            this.outbox.ack(entry.seq);
            this.nudge();
          },
          () => {
            // Lost with the connection (or closed at stop): rewound and sent again after reconnect.
            this.inflight--;
            this.needRewind = true;
            this.nudge();
          },
        );
      }
    }
  }

  private nudge(): void {
    const sleepers = [...this.sleepers];
    this.sleepers.clear();
    for (const wake of sleepers) wake();
  }

  /** Sleeps until nudged or `timeoutMs`; every sleeper is woken by the next nudge, none is lost. */
  private sleepUntilNudged(timeoutMs = 1000): Promise<void> {
    return new Promise((resolve) => {
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
