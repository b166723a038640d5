/**
 * Packets written to the uplink's socket while it is corked, gathered into one buffer and handed
 * to the socket as one write when the last cork is lifted. mqtt.js's packet writer corks the
 * socket for each packet and writes it in five or six pieces (header, lengths, topic, packet id,
 * payload); Node's socket then keeps a record per piece, turns each text payload into a buffer
 * of its own and writes them all with one writev. Here the pieces are copied, in order, into a
 * slab: one write and one small buffer per turn of the event loop however many PUBLISHes went
 * out in it, and a text payload is encoded once, straight into the slab.
 *
 * The bytes on the wire are the same, in the same order. A write with a callback, or made while
 * the socket is not corked, first sends what was gathered and then goes to the socket as it is;
 * `end()` sends what was gathered first. A slab's bytes are never written over once handed to
 * the socket: the next piece goes after them, or into a new slab.
 */
import type { Socket } from 'node:net';

/** One slab; a turn's PUBLISHes of a window of 100 events of ~1 KB fit in about half of one. */
const SLAB_BYTES = 256 * 1024;
/** A piece whose worst-case UTF-8 size is above this goes to the socket as it is. */
const LARGEST_GATHERED = 64 * 1024;

type Done = (err?: Error | null) => void;

export function gatherWrites(socket: Socket): void {
  const write = socket.write.bind(socket) as (chunk: unknown, encoding?: unknown, done?: unknown) => boolean;
  const end = socket.end.bind(socket) as (...args: unknown[]) => Socket;
  let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  let from = 0;
  let to = 0;
  let corks = 0;

  const send = () => {
    if (to === from) return;
    const gathered = slab.subarray(from, to);
    from = to;
    write(gathered);
  };
  /** Room for `bytes` more in the slab: a new slab when the rest of this one is short. */
  const room = (bytes: number) => {
    if (SLAB_BYTES - to >= bytes) return;
    send();
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    from = 0;
    to = 0;
  };

  socket.cork = () => {
    corks++;
  };
  const uncork = socket.uncork.bind(socket);
  socket.uncork = () => {
    // Corks taken before this was installed (the CONNECT packet's) are the socket's own.
    if (corks === 0) return uncork();
    corks--;
    if (corks === 0) send();
  };
  socket.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | Done, done?: Done): boolean => {
    const text = typeof chunk === 'string';
    // The most bytes the piece can take: UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const most = text ? chunk.length * 3 : chunk.byteLength;
    if (corks === 0 || done !== undefined || typeof encoding === 'function' || most > LARGEST_GATHERED) {
      send();
      return write(chunk, encoding, done);
    }
    if (text && encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8') {
      send();
      return write(chunk, encoding);
    }
    room(most);
    if (text) to += slab.write(chunk, to);
    else {
      slab.set(chunk, to);
      to += chunk.byteLength;
    }
    // What the socket itself says: false only while it is over its mark, so 'drain' will come.
    return !socket.writableNeedDrain;
  }) as Socket['write'];
  socket.end = ((...args: unknown[]) => {
    corks = 0;
    send();
    return end(...args);
  }) as Socket['end'];
}
