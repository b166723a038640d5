/**
 * Refuses an MQTT packet that is too large before its body is buffered. The MQTT parser keeps
 * every byte of a packet until the whole of it has arrived, whatever length its header announces
 * (up to 256 MB), and neither aedes nor mqtt-packet has a limit. So the fixed header of each
 * packet (a type byte and the remaining length, a variable byte integer) is read here as the
 * bytes go by, the bodies are skipped without copying, and the connection is closed as soon as
 * a header announces more than the limit: at most one socket read past the limit is ever held.
 */
import type { Socket } from 'node:net';

/** The remaining length is 1-4 bytes, 7 bits each (MQTT 3.1.1 section 2.2.3). */
const MAX_LENGTH_BYTES = 4;

/** Follows the packets in a byte stream and says when one announces more than `maxBytes`. */
export class PacketSizeScanner {
  private state: 'type' | 'length' | 'body' | 'done' = 'type';
  private length = 0;
  private lengthBytes = 0;
  private multiplier = 1;
  private remaining = 0;

  constructor(private readonly maxBytes: number) {
    if (!(Number.isInteger(maxBytes) && maxBytes > 0))
      throw new TypeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  }

  /**
   * Takes the next bytes of the stream; returns the announced size of the whole packet (header
   * included) when it passes the limit, else undefined. Work is linear in the headers, constant
   * per chunk for bodies. A malformed length is left to the MQTT parser, which refuses it.
   */
  feed(chunk: Uint8Array): number | undefined {
    let i = 0;
    while (i < chunk.length && this.state !== 'done') {
      if (this.state === 'body') {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        if (this.remaining === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i++]!;
      if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.lengthBytes = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === MAX_LENGTH_BYTES) this.state = 'done';
        continue;
      }
      const size = 1 + this.lengthBytes + this.length;
      if (size > this.maxBytes) {
        this.state = 'done';
        return size;
      }
      this.remaining = this.length;
      this.state = this.length === 0 ? 'type' : 'body';
    }
    return undefined;
  }
}

/**
 * Watches the bytes the broker reads from `socket` and destroys it when a packet announces more
 * than `maxBytes`. Install after the broker's own reader: a 'data' listener beside a 'readable'
 * one sees each chunk as the broker reads it, before the parser does, and does not change the
 * flow (Node streams: 'readable' takes precedence).
 */
export function guardPacketSize(socket: Socket, maxBytes: number, refuse: (announced: number) => void): void {
  const scanner = new PacketSizeScanner(maxBytes);
  const watch = (chunk: Buffer) => {
    const announced = scanner.feed(chunk);
    if (announced === undefined) return;
    socket.off('data', watch);
    refuse(announced);
    socket.destroy();
  };
  socket.on('data', watch);
}
