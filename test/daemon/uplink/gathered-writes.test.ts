import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { gatherWrites } from '../../../daemon/uplink/gathered-writes.js';

/** A TCP server on a free port that keeps every byte each connection sent, until it ends. */
async function sink(): Promise<{ server: Server; port: number; received: Promise<Buffer> }> {
  let got!: (b: Buffer) => void;
  const received = new Promise<Buffer>((r) => {
    got = r;
  });
  const server = createServer((conn) => {
    const parts: Buffer[] = [];
    conn.on('data', (d: Buffer) => parts.push(d));
    conn.on('end', () => got(Buffer.concat(parts)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, received };
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

describe('gatherWrites', () => {
  it('sends the corked pieces of many packets, text and bytes, in order, as one write per uncork', async () => {
    const s = await sink();
    server = s.server;
    const socket = new Socket();
    socket.connect(s.port, '127.0.0.1');
    await once(socket, 'connect');
    // Counts what reaches the socket's own write: installed before gatherWrites takes it.
    const writes: number[] = [];
    const own = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
      writes.push(Buffer.byteLength(chunk));
      return own(chunk, ...rest);
    }) as Socket['write'];
    gatherWrites(socket);
    const expected: Buffer[] = [];
    for (let turn = 0; turn < 3; turn++) {
      for (let p = 0; p < 200; p++) {
        socket.cork();
        const head = Buffer.from([0x32, p & 0xff]);
        const text = `{"n":${turn * 1000 + p},"name":"caf\u00e9 \u{1F4E6} ${'x'.repeat(p * 2)}"}`;
        expect(socket.write(head)).toBe(true);
        expect(socket.write(text)).toBe(true);
        expected.push(head, Buffer.from(text, 'utf8'));
        process.nextTick(() => socket.uncork());
      }
      await new Promise((r) => setImmediate(r));
      // One write for the turn's 200 packets, of all their bytes.
      expect(writes).toHaveLength(turn + 1);
      expect(writes[turn]).toBe(Buffer.concat(expected.slice(turn * 400, turn * 400 + 400)).length);
    }
    // A turn larger than a slab: sent a slab at a time, nothing written over.
    for (let p = 0; p < 600; p++) {
      socket.cork();
      const text = `{"n":${p},"pad":"${'y'.repeat(1000)}"}`;
      socket.write(text);
      expected.push(Buffer.from(text));
      process.nextTick(() => socket.uncork());
    }
    await new Promise((r) => setImmediate(r));
    expect(writes.length - 3).toBe(Math.ceil(Buffer.concat(expected.slice(1200)).length / (256 * 1024)));
    const before = writes.length;
    // A write with a callback goes after what was gathered, and its callback is called.
    socket.cork();
    socket.write(Buffer.from('gathered'));
    expected.push(Buffer.from('gathered'));
    const written = new Promise<void>((resolve, reject) =>
      socket.write('with-callback', (err) => (err ? reject(err) : resolve())),
    );
    expected.push(Buffer.from('with-callback'));
    await written;
    socket.write(Buffer.from('corked at end'));
    expected.push(Buffer.from('corked at end'));
    socket.end();
    expect((await s.received).equals(Buffer.concat(expected))).toBe(true);
    // The gathered piece, the callback's write, and the piece gathered when end() came.
    expect(writes.slice(before)).toEqual([8, 13, 13]);
  });

  it('leaves a cork taken before it was installed to the socket', async () => {
    const s = await sink();
    server = s.server;
    const socket = new Socket();
    socket.connect(s.port, '127.0.0.1');
    socket.cork();
    socket.write('before');
    gatherWrites(socket);
    socket.uncork();
    socket.cork();
    socket.write('after');
    socket.uncork();
    await once(socket, 'connect');
    socket.end();
    expect((await s.received).toString()).toBe('beforeafter');
  });
});
