/**
 * One simulated gateway of the fleet bench: the daemon's real MqttUplink with a client id and
 * topics of its own, fed at a fixed rate from a schedule, as a gateway's dispatcher feeds it from
 * the outbox: QoS 1 within the in-flight window, and after a lost connection everything not yet
 * acknowledged sent again, oldest first. The outbox itself is left out (the broker is what is
 * measured), so the events wait in memory: the sequence numbers say which are acknowledged.
 *
 * Event `s` (from 1) is due at `t0 + phaseMs + (s - 1) * periodMs` and its PUBACK latency counts
 * from then, so a gateway that falls behind (a broker that acknowledges slowly, a node that died)
 * shows it in the latency, as a real read would wait in the outbox.
 */
import { silentLogger } from '../../daemon/log.js';
import { MqttUplink } from '../../daemon/uplink/mqtt-uplink.js';

export interface GatewaySetup {
  /** The gateway id, a topic segment. */
  readonly id: string;
  /** uplink.url: one broker, or the nodes of a cluster in the order this gateway tries them. */
  readonly nodes: readonly string[];
  /** Which cluster node nodes[0] is (gateways are spread by rotating one list). */
  readonly firstNode: number;
  readonly clientId: string;
  readonly keepaliveS: number;
  readonly inflight: number;
  readonly retry: { readonly minMs: number; readonly maxMs: number };
}

/** A connection lost and the first PUBACK after it (NaN until then), epoch ms. */
export interface Outage {
  readonly node: number;
  readonly downAt: number;
  resumedAt: number;
}

/** Epoch milliseconds, sub-millisecond, comparable across the bench's processes. */
export const epochMs = () => performance.timeOrigin + performance.now();

export class SimulatedGateway {
  readonly uplink: MqttUplink;
  readonly outages: Outage[] = [];
  /** Events offered so far: 1..offered. */
  private offered = 0;
  /** The next sequence to send; moved back when a connection is lost. */
  private nextSend = 1;
  private acked = new Uint8Array(1024);
  private ackedCount = 0;
  private t0 = Number.NaN;
  private pumpQueued = false;
  /** The longest PUBACK latency since the last mark(), ms. */
  worstMs = 0;

  constructor(
    readonly setup: GatewaySetup,
    private readonly topic: string,
    statusTopic: string,
    /** The serialized event around its sequence: head + sequence + tail. */
    private readonly payload: readonly [string, string],
    private readonly periodMs: number,
    private readonly phaseMs: number,
    /** Each first PUBACK of an event: when, and its latency from its due time, ms. */
    private readonly onAck: (at: number, latencyMs: number) => void,
  ) {
    this.uplink = new MqttUplink(
      {
        url: setup.nodes[0]!,
        ...(setup.nodes.length > 1 ? { nodes: setup.nodes } : {}),
        clientId: setup.clientId,
        rejectUnauthorized: true,
        keepaliveS: setup.keepaliveS,
        inflight: setup.inflight,
        retry: setup.retry,
        statusTopic,
      },
      silentLogger(),
    );
    this.uplink.on('up', () => this.pump());
    this.uplink.on('down', () => {
      this.outages.push({ node: this.node, downAt: epochMs(), resumedAt: Number.NaN });
    });
  }

  /** The cluster node this gateway's uplink is on or last tried. */
  get node(): number {
    const { node } = this.uplink.status();
    return (this.setup.firstNode + (node ?? 0)) % Math.max(1, this.setup.nodes.length);
  }

  get connected(): boolean {
    return this.uplink.status().state === 'connected';
  }

  /** Events offered, and how many of them the broker acknowledged. */
  get counts(): { offered: number; acked: number } {
    return { offered: this.offered, acked: this.ackedCount };
  }

  /** Whether every event offered so far was acknowledged. */
  get drained(): boolean {
    return this.ackedCount === this.offered;
  }

  /** Events are due from `t0` (epoch ms) on. */
  begin(t0: number): void {
    this.t0 = t0;
  }

  /** Offers the events due by `now` (none after `until`) and sends what the window takes. */
  tick(now: number, until = Number.POSITIVE_INFINITY): void {
    const due = Math.floor((Math.min(now, until) - this.t0 - this.phaseMs) / this.periodMs) + 1;
    if (due > this.offered) {
      this.offered = due;
      if (due >= this.acked.length) {
        const grown = new Uint8Array(Math.max(due + 1, this.acked.length * 2));
        grown.set(this.acked);
        this.acked = grown;
      }
    }
    this.pump();
  }

  private pump(): void {
    const { uplink } = this;
    while (this.nextSend <= this.offered && uplink.canPublish()) {
      const s = this.nextSend++;
      if (this.acked[s] === 1) continue;
      uplink.send(this.topic, this.payload[0] + s + this.payload[1], (err) => this.settled(s, err));
    }
  }

  private settled(s: number, err?: Error): void {
    if (err) {
      // Lost with its connection (or refused with it): sent again after the next `up`, in order.
      if (s < this.nextSend) this.nextSend = s;
      return;
    }
    if (this.acked[s] === 1) return;
    this.acked[s] = 1;
    this.ackedCount++;
    const now = epochMs();
    const outage = this.outages.at(-1);
    if (outage && Number.isNaN(outage.resumedAt)) outage.resumedAt = now;
    const latencyMs = now - (this.t0 + this.phaseMs + (s - 1) * this.periodMs);
    if (latencyMs > this.worstMs) this.worstMs = latencyMs;
    this.onAck(now, latencyMs);
    // Refill after mqtt.js has handled this PUBACK, not from inside its handler.
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      queueMicrotask(() => {
        this.pumpQueued = false;
        this.pump();
      });
    }
  }
}

/** A serialized event split around the digits of its `rp:sequence`, for `head + s + tail`. */
export function aroundSequence(event: string): [string, string] {
  const match = /"rp:sequence":(\d+)/.exec(event);
  if (!match) throw new Error('no rp:sequence in the event');
  const at = match.index + '"rp:sequence":'.length;
  return [event.slice(0, at), event.slice(at + match[1]!.length)];
}
