/** A scriptable Uplink for unit tests: the test decides when PUBACKs come and when the link drops. */
import { EventEmitter } from 'node:events';
import { type Uplink, UplinkDisconnectedError, type UplinkStatus } from '../../daemon/uplink/uplink.js';

interface Pending {
  topic: string;
  payload: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class FakeUplink extends EventEmitter implements Uplink {
  connected = true;
  readonly pending: Pending[] = [];
  readonly published: string[] = [];
  maxInflightSeen = 0;
  constructor(private readonly window: number) {
    super();
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  publish(topic: string, payload: string | Buffer): Promise<void> {
    if (!this.connected) return Promise.reject(new UplinkDisconnectedError('down'));
    return new Promise((resolve, reject) => {
      this.pending.push({ topic, payload: String(payload), resolve, reject });
      this.published.push(String(payload));
      this.maxInflightSeen = Math.max(this.maxInflightSeen, this.pending.length);
    });
  }
  send(topic: string, payload: string | Buffer, settled: (err?: Error) => void): void {
    this.publish(topic, payload).then(() => settled(), settled);
  }
  publishStatus(): void {}
  listen(): void {}
  reply(): boolean {
    return false;
  }
  canPublish(): boolean {
    return this.connected && this.pending.length < this.window;
  }
  status(): UplinkStatus {
    return {
      state: this.connected ? 'connected' : 'disconnected',
      url: 'fake',
      connects: 1,
      inflight: this.pending.length,
    };
  }
  /** Acknowledges the oldest n outstanding publishes. */
  ack(n = this.pending.length): void {
    for (const p of this.pending.splice(0, n)) p.resolve();
  }
  drop(): void {
    this.connected = false;
    for (const p of this.pending.splice(0)) p.reject(new UplinkDisconnectedError('lost'));
    this.emit('down');
  }
  reconnect(): void {
    this.connected = true;
    this.emit('up');
  }
}
