/**
 * The control socket: requests and answers over a real Unix socket, errors as answers, bounds,
 * the socket's mode, and a socket file left by a daemon that died.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { askDaemon, ControlRefused, DaemonNotRunning } from '../../../daemon/inventory/control-client.js';
import { ControlServer, controlSocketPath } from '../../../daemon/inventory/control-server.js';
import { silentLogger } from '../../../daemon/log.js';

let dir: string;
let server: ControlServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-control-'));
  server = new ControlServer(silentLogger());
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Sends raw bytes and collects every line until the server closes or `lines` came. */
function raw(bytes: string | Buffer, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketPath(dir));
    let text = '';
    const done = () => {
      socket.destroy();
      resolve(text.split('\n').filter((l) => l.length > 0));
    };
    socket.on('data', (c) => {
      text += c.toString();
      if (text.split('\n').length - 1 >= lines) done();
    });
    socket.on('close', done);
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? done() : reject(err),
    );
    socket.write(bytes);
  });
}

describe('control socket', () => {
  it('answers a command with its result, and a failing one with its message', async () => {
    server.register('holds.count', async (args) => ({ asked: args, count: 3 }));
    server.register('holds.add', async () => {
      throw new Error('holds.add: "unit" is not an EPC URI');
    });
    await server.listen(controlSocketPath(dir));
    expect(await askDaemon(dir, 'holds.count', { kind: 'lot' })).toEqual({
      asked: { kind: 'lot' },
      count: 3,
    });
    const refused = await askDaemon(dir, 'holds.add', {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ControlRefused);
    expect((refused as Error).message).toBe('holds.add: "unit" is not an EPC URI');
    const unknown = await askDaemon(dir, 'where.nothing', {}).catch((e: Error) => e.message);
    expect(unknown).toBe('unknown command "where.nothing" (known: holds.add, holds.count)');
  });

  it('answers the requests of one connection in order, each with its id', async () => {
    let slowDone = false;
    server.register('t.slow', async () => {
      await new Promise<void>((r) => setImmediate(r));
      slowDone = true;
      return 'slow';
    });
    server.register('t.fast', async () => (slowDone ? 'fast after slow' : 'fast first'));
    await server.listen(controlSocketPath(dir));
    const lines = await raw('{"id":1,"command":"t.slow"}\n{"id":"b","command":"t.fast","args":null}\n', 2);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { id: 1, ok: true, result: 'slow' },
      { id: 'b', ok: true, result: 'fast after slow' },
    ]);
  });

  it('ends a connection that sends what is not a request, or a line over 1 MiB', async () => {
    server.register('t.echo', async (a) => a);
    await server.listen(controlSocketPath(dir));
    expect(await raw('not json\n', 1)).toEqual([
      '{"id":null,"ok":false,"error":"a request is one line of JSON"}',
    ]);
    expect(await raw('[1,2]\n', 1)).toEqual([
      '{"id":null,"ok":false,"error":"a request is {\\"id\\", \\"command\\", \\"args\\"}"}',
    ]);
    const long = Buffer.alloc(1024 * 1024 + 10, 0x61);
    expect(await raw(long, 1)).toEqual(['{"id":null,"ok":false,"error":"request longer than 1 MiB"}']);
    // The server still answers others.
    expect(await askDaemon(dir, 't.echo', [1])).toEqual([1]);
  });

  it("is the daemon user's alone (mode 0600), and gone after close", async () => {
    await server.listen(controlSocketPath(dir));
    const st = await stat(controlSocketPath(dir));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    await server.close();
    await expect(stat(controlSocketPath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(askDaemon(dir, 'x.y', {})).rejects.toBeInstanceOf(DaemonNotRunning);
  });

  it('takes over a socket file left by a daemon that died, never one a live daemon answers on', async () => {
    const path = controlSocketPath(dir);
    // A process listening on the path, killed with SIGKILL: its socket file stays, nobody answers.
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ]);
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the listener exited (${code})`)));
    });
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect((await stat(path)).isSocket()).toBe(true);
    await expect(askDaemon(dir, 'x.y', {})).rejects.toBeInstanceOf(DaemonNotRunning);
    server.register('t.ok', async () => 'mine');
    await server.listen(path);
    expect(await askDaemon(dir, 't.ok', {})).toBe('mine');
    const second = new ControlServer(silentLogger());
    await expect(second.listen(path)).rejects.toThrow(
      /is in use: is another daemon running on this data dir\?/,
    );
    expect(await askDaemon(dir, 't.ok', {})).toBe('mine');
  });

  it('refuses a name registered twice and a path too long for a Unix socket', async () => {
    server.register('holds.add', async () => 1);
    expect(() => server.register('holds.add', async () => 2)).toThrow(
      'control command holds.add is registered twice',
    );
    await expect(server.listen(join(dir, 'd'.repeat(120), 'control.sock'))).rejects.toThrow(
      /longer than the 107 bytes a Unix socket path may have: use a shorter dataDir/,
    );
  });

  it('says no daemon runs when the data dir has a plain file where the socket would be', async () => {
    await writeFile(controlSocketPath(dir), 'not a socket');
    await expect(askDaemon(dir, 'x.y', {})).rejects.toBeInstanceOf(DaemonNotRunning);
  });
});
