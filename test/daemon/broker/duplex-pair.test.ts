/** The in-memory stream pair the gateway's own broker session runs over. */
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { duplexPair } from '../../../daemon/broker/duplex-pair.js';

function readAll(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return once(stream, 'end').then(() => Buffer.concat(chunks));
}

describe('duplexPair', () => {
  it('carries bytes both ways, in order, and end() ends the other side', async () => {
    const [a, b] = duplexPair();
    const atB = readAll(b);
    const atA = readAll(a);
    a.write('one ');
    a.write(Buffer.from('two'));
    a.end();
    b.end('back');
    expect((await atB).toString()).toBe('one two');
    expect((await atA).toString()).toBe('back');
  });

  it('holds a writer back until the other side reads, then drains with nothing lost', async () => {
    const [a, b] = duplexPair();
    const chunk = Buffer.alloc(4096, 7);
    let written = 0;
    while (a.write(chunk)) written += chunk.length;
    written += chunk.length;
    // Nobody reads b: its buffer and a's are full, and a stays blocked.
    let drained = false;
    a.once('drain', () => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    expect(b.readableLength).toBeGreaterThan(0);
    expect(b.readableLength).toBeLessThanOrEqual(b.readableHighWaterMark);
    const got = readAll(b);
    await once(a, 'drain');
    a.end();
    const bytes = await got;
    expect(bytes.length).toBe(written);
    expect(bytes.every((x) => x === 7)).toBe(true);
  });

  it('destroying one side closes the other, without an error when there was none', async () => {
    const [a, b] = duplexPair();
    const errors: Error[] = [];
    b.on('error', (e) => errors.push(e));
    a.destroy();
    await once(b, 'close');
    expect(b.destroyed).toBe(true);
    expect(errors).toEqual([]);
  });

  it("destroying one side with an error hands the error to the other, and the other's writes fail", async () => {
    const [a, b] = duplexPair();
    const failed = once(b, 'error');
    const own = once(a, 'error');
    a.destroy(new Error('gone'));
    const written = new Promise<Error | null | undefined>((resolve) => b.write('late', resolve));
    expect(((await own)[0] as Error).message).toBe('gone');
    expect(((await failed)[0] as Error).message).toBe('gone');
    expect(((await written) as NodeJS.ErrnoException | undefined)?.code).toBe('EPIPE');
  });
});
