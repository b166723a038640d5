/**
 * Reads MQTT 3.1.1 packets off a proxy's tap (tcp-proxy.ts) and keeps the broker's side of the
 * story per event sequence number: which QoS 1 PUBLISHes of events reached the broker, on which
 * link, and which of them the broker acknowledged. When the consumer misses an event, this says
 * whose loss it is: one the broker PUBACKed was the broker's to deliver; one it never PUBACKed was
 * the daemon's to send again.
 */
import type { Tap } from './tcp-proxy.js';

const PUBLISH = 3;
const PUBACK = 4;

/** Splits a byte stream into MQTT control packets (fixed header, remaining length, body). */
export function packetReader(onPacket: (type: number, flags: number, body: Buffer) => void) {
  let buffer: Buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let offset = 1;
      for (;;) {
        if (offset >= buffer.length) return;
        const byte = buffer[offset++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) break;
      }
      if (buffer.length < offset + length) return;
      const first = buffer[0]!;
      onPacket(first >> 4, first & 0x0f, buffer.subarray(offset, offset + length));
      buffer = buffer.subarray(offset + length);
    }
  };
}

export class WireLog {
  /** seq -> links whose PUBLISH of it reached the broker (one entry per PUBLISH). */
  readonly published = new Map<number, number[]>();
  /** seq -> the link on which the broker first PUBACKed it. */
  readonly acked = new Map<number, number>();
  private readonly links = new Map<
    number,
    { up: (c: Buffer) => void; down: (c: Buffer) => void; ids: Map<number, number>; open: Set<number> }
  >();
  private latest = 0;

  /** Pass as `tap` to startTcpProxy. */
  readonly tap: Tap = (direction, chunk, link) => {
    let state = this.links.get(link);
    if (!state) {
      const ids = new Map<number, number>(); // packet id -> seq, on this link
      const open = new Set<number>(); // packet ids of event PUBLISHes not PUBACKed yet
      this.latest = Math.max(this.latest, link);
      state = {
        ids,
        open,
        up: packetReader((type, flags, body) => {
          if (type !== PUBLISH || ((flags >> 1) & 3) !== 1) return;
          const topicLength = body.readUInt16BE(0);
          if (!body.toString('utf8', 2, 2 + topicLength).includes('/events/')) return;
          const id = body.readUInt16BE(2 + topicLength);
          const payload = body.toString('utf8', 4 + topicLength);
          const seq = (JSON.parse(payload) as { 'rp:sequence': number })['rp:sequence'];
          ids.set(id, seq);
          open.add(id);
          const on = this.published.get(seq);
          if (on) on.push(link);
          else this.published.set(seq, [link]);
        }),
        down: packetReader((type, _flags, body) => {
          if (type !== PUBACK) return;
          open.delete(body.readUInt16BE(0));
          const seq = ids.get(body.readUInt16BE(0));
          if (seq !== undefined && !this.acked.has(seq)) this.acked.set(seq, link);
        }),
      };
      this.links.set(link, state);
    }
    state[direction](chunk);
  };

  /** Event PUBLISHes that reached the broker on the newest link and have no PUBACK yet. */
  unackedOnLatest(): number {
    return this.links.get(this.latest)?.open.size ?? 0;
  }

  /** The broker's side of the story of `seq`, for a failure message. */
  explain(seq: number): string {
    const on = this.published.get(seq);
    if (!on) return `${seq}: never reached the broker`;
    const acked = this.acked.get(seq);
    return `${seq}: reached the broker ${on.length}x (links ${on.join(',')}), ${
      acked === undefined ? 'never PUBACKed' : `PUBACKed on link ${acked}`
    }`;
  }
}
