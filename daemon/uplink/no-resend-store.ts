/**
 * mqtt.js's outgoing store for a client that never resends: each connection is a fresh client
 * with a clean session (mqtt-uplink.ts), and whatever was not acknowledged is sent again from the
 * outbox. mqtt.js's default store keeps a copy of every QoS 1 publish, its payload copied too,
 * until the PUBACK; this one keeps nothing, so the copy dies at once instead of living through
 * the round trip (and often a young-generation collection) for nothing.
 */
import { Readable } from 'node:stream';
import type { IStore, Packet } from 'mqtt';

type Done = (err?: Error) => void;
type PacketDone = (err?: Error, packet?: Packet) => void;

export class NoResendStore implements IStore {
  put(_packet: Packet, cb: Done): this {
    cb();
    return this;
  }

  /** Nothing to resend at a connect. (mqtt.js types its streams as readable-stream's; Node's does.) */
  createStream(): ReturnType<IStore['createStream']> {
    return Readable.from([]) as unknown as ReturnType<IStore['createStream']>;
  }

  del(packet: Pick<Packet, 'messageId'>, cb: PacketDone): this {
    cb(undefined, packet as Packet);
    return this;
  }

  get(_packet: Pick<Packet, 'messageId'>, cb: PacketDone): this {
    cb(new Error('the uplink keeps no copies of what it sent'));
    return this;
  }

  close(cb: Done): void {
    cb();
  }
}
