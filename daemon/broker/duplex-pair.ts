/**
 * Two in-memory streams wired to each other, like the two ends of a socket: what is written to
 * one is read from the other (Node 20 has no `stream.duplexPair`). The broker serves the
 * gateway's own session over one end while the uplink's MQTT client uses the other, so that
 * session never holds a TCP connection.
 *
 * - Backpressure: a write completes only once the other end takes the chunk (its buffer below
 *   the high-water mark); otherwise it waits until that end is read.
 * - `end()` on one end ends the reading side of the other.
 * - `destroy()` on one end destroys the other on the next tick (with the same error, if any), as
 *   a socket whose peer went away closes.
 */
import { Duplex } from 'node:stream';

class PairEnd extends Duplex {
  peer: PairEnd | undefined;
  /** The peer's write, held until this end is read. */
  private waitingWrite: ((err?: Error | null) => void) | undefined;

  override _read(): void {
    const done = this.waitingWrite;
    this.waitingWrite = undefined;
    done?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || peer.destroyed) done(closedError());
    else if (peer.push(chunk)) done();
    else peer.waitingWrite = done;
  }

  override _final(done: (err?: Error | null) => void): void {
    this.peer?.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    // A peer's write that waited for this end is dropped with the peer, as a socket's would be.
    this.waitingWrite = undefined;
    if (peer && !peer.destroyed) process.nextTick(() => peer.destroy(err ?? undefined));
    done(err);
  }
}

/** What a write to a socket whose peer has gone gets. */
function closedError(): Error {
  return Object.assign(new Error('the other end of the stream is closed'), { code: 'EPIPE' });
}

/** Two ends: each reads what the other writes. */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
