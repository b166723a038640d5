/**
 * A cheap reachability test between long reconnect waits: a TCP handshake, closed at once, with
 * no TLS, MQTT or login. A broker that is down answers it with a RST from its host's kernel (or
 * not at all); one that is back completes it, and only then does the uplink make a real attempt.
 * So the gateway is back within a probe interval of the broker's return, while the expensive
 * attempts a recovering broker has to serve (TLS, login, session) still follow the backoff.
 */
import { connect } from 'node:net';
import type { BrokerNodes } from './broker-node.js';
import { brokerAddress } from './client-options.js';

/** True when a TCP connection to the broker of `url` opened within `timeoutMs`. */
export function probeBroker(url: string, timeoutMs: number): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = brokerAddress(url));
  } catch {
    return Promise.resolve(false);
  }
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const done = (reached: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(reached);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The wait before the next probe, ms: uniform in [minMs, 2 x minMs), so gateways spread out. */
export function probeDelay(minMs: number, random: () => number = Math.random): number {
  return Math.round(minMs * (1 + random()));
}

/**
 * Probes the broker nodes in turn during a reconnect wait until one answers or stop() is called;
 * `onBack` then gets that node, and the caller connects to it at once.
 */
export class ReturnProbe {
  private timer: NodeJS.Timeout | undefined;
  /** Bumped by start() and stop(), so a probe still on the wire when either ran is ignored. */
  private round = 0;

  constructor(
    private readonly nodes: BrokerNodes,
    private readonly everyMs: number,
    private readonly timeoutMs: number,
    private readonly onBack: (node: number) => void,
  ) {}

  start(): void {
    this.stop();
    this.schedule(this.round);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.round++;
  }

  private schedule(round: number): void {
    this.timer = setTimeout(() => void this.probe(round), probeDelay(this.everyMs));
    this.timer.unref();
  }

  private async probe(round: number): Promise<void> {
    const node = this.nodes.upcoming;
    const reached = await probeBroker(this.nodes.url(node), this.timeoutMs);
    if (round !== this.round) return;
    if (!reached) {
      this.nodes.skip();
      this.schedule(round);
      return;
    }
    this.timer = undefined;
    this.onBack(node);
  }
}
