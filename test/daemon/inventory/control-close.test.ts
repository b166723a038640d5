/**
 * The control socket as the gateway stops: the inventory store closes right after the socket,
 * so no command may still be running, or start, once `close()` has resolved.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlServer, controlSocketPath } from '../../../daemon/inventory/control-server.js';
import { silentLogger } from '../../../daemon/log.js';

let dir: string;
let server: ControlServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-control-close-'));
  server = new ControlServer(silentLogger());
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('control socket at close', () => {
  it('waits for the command under way, and starts none of those still queued on its connection', async () => {
    const calls: unknown[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finished = false;
    server.register('holds.import', async (args) => {
      calls.push(args);
      started();
      await released;
      finished = true;
      return null;
    });
    await server.listen(controlSocketPath(dir));
    const socket = createConnection(controlSocketPath(dir));
    socket.on('error', () => undefined); // the server hangs up on it
    const lines = [1, 2, 3].map((n) => JSON.stringify({ id: n, command: 'holds.import', args: n }));
    socket.write(`${lines.join('\n')}\n`);
    await firstStarted;

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    // The close has run as far as it can without the command: the socket is gone, the server closed.
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toBe(true);
    expect(calls).toEqual([1]);
  });
});

describe('control socket after a bad request', () => {
  it.each([
    ['not JSON', 'not json', 'a request is one line of JSON'],
    ['over 1 MiB', 'x'.repeat(1024 * 1024 + 1), 'request longer than 1 MiB'],
  ])('answers those before a line %s and runs none queued behind it', async (_, bad, error) => {
    const calls: unknown[] = [];
    server.register('holds.add', async (args) => {
      calls.push(args);
      return null;
    });
    await server.listen(controlSocketPath(dir));
    const socket = createConnection(controlSocketPath(dir));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('error', () => undefined);
    const good = (n: number) => JSON.stringify({ id: n, command: 'holds.add', args: n });
    socket.write(`${good(1)}\n${bad}\n${good(2)}\n${good(3)}\n`);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(text.split('\n').filter(Boolean)).toEqual([
      '{"id":1,"ok":true,"result":null}',
      JSON.stringify({ id: null, ok: false, error }),
    ]);
    expect(calls).toEqual([1]);
  });
});
