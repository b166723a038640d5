/**
 * Overflow notices: every drop of the overflow policy is announced on `.../overflow` with the
 * exact sequence numbers lost, so a consumer that sees a gap knows whether it was a drop (and
 * which) or a delivery still to come.
 *
 * The ranges come from the outbox's drop ledger, which is stored with the deletes that caused
 * them. While dropping, a notice goes out at most once per `intervalMs`, covering every range
 * recorded since the previous one. It is published with QoS 1; its ranges leave the ledger only
 * on PUBACK. A notice lost with the connection, or not acknowledged before a crash or a stop, is
 * sent again (merged into the next one) after the reconnect or the restart: notices are at least
 * once, and a consumer takes the union of their ranges.
 */
import type { OverflowNotice } from '../contract/topics.js';
import type { Logger } from '../log.js';
import type { Uplink } from '../uplink/uplink.js';
import type { DropCut, DropLedgerSource, OverflowPolicy } from './outbox.js';

/** Ranges per notice at most (a notice stays a few tens of kB at worst). */
export const NOTICE_RANGES = 1000;

export interface OverflowNoticeOptions {
  readonly topic: string;
  readonly gateway: string;
  readonly site: string;
  readonly policy: OverflowPolicy;
  /** Shortest time between two notices. Default 1000. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export function overflowNotice(
  cut: DropCut,
  o: Pick<OverflowNoticeOptions, 'gateway' | 'site' | 'policy'>,
  now: number,
): OverflowNotice {
  const ranges = [...cut.ranges].sort((a, b) => a.from - b.from);
  const first = ranges[0]!;
  const last = ranges.at(-1)!;
  return {
    gateway: o.gateway,
    site: o.site,
    policy: o.policy,
    dropped: ranges.reduce((n, r) => n + r.to - r.from + 1, 0),
    firstSeq: first.from,
    lastSeq: last.to,
    firstAt: new Date(first.fromAt).toISOString(),
    lastAt: new Date(last.toAt).toISOString(),
    ranges: ranges.map((r) => [r.from, r.to] as const),
    totalDropped: cut.totalDropped,
    time: new Date(now).toISOString(),
  };
}

export class OverflowNotifier {
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private sent = 0;
  private readonly onUp = () => this.tick();
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(
    private readonly ledger: DropLedgerSource,
    private readonly uplink: Uplink,
    private readonly options: OverflowNoticeOptions,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 1000;
  }

  start(): void {
    this.uplink.on('up', this.onUp);
    // Polled a few times per interval: a drop is announced within about 1.25 intervals.
    this.timer = setInterval(() => this.tick(), Math.max(10, this.intervalMs / 4));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.uplink.off('up', this.onUp);
  }

  /** Notices acknowledged by the broker. */
  get acknowledged(): number {
    return this.sent;
  }

  /** Publishes the pending ranges if one is due and the uplink can take it. */
  tick(): void {
    if (this.sending || !this.uplink.canPublish()) return;
    const now = this.now();
    if (now - this.lastSentAt < this.intervalMs) return;
    const cut = this.ledger.cutDrops(NOTICE_RANGES);
    if (!cut) return;
    const notice = overflowNotice(cut, this.options, now);
    this.sending = true;
    this.lastSentAt = now;
    this.uplink.publish(this.options.topic, JSON.stringify(notice)).then(
      () => {
        this.sending = false;
        this.sent++;
        this.ledger.confirmDrops(cut);
        this.log.warn(
          {
            dropped: notice.dropped,
            firstSeq: notice.firstSeq,
            lastSeq: notice.lastSeq,
            totalDropped: notice.totalDropped,
          },
          'overflow notice published',
        );
      },
      (err: unknown) => {
        // Kept in the ledger: sent again after the reconnect (or the restart).
        this.sending = false;
        this.log.debug({ err: (err as Error).message }, 'overflow notice not acknowledged');
      },
    );
  }
}
