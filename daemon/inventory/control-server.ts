/**
 * The control socket of the running daemon (control.ts is the seam): newline-delimited JSON over a
 * Unix socket at `<dataDir>/control.sock`, readable and writable by the daemon's user only.
 *
 * A request is one line `{"id": <any>, "command": "<feature>.<verb>", "args": <any>}`; its answer
 * one line `{"id": <same>, "ok": true, "result": <any>}` or `{"id": <same>, "ok": false, "error":
 * "<message>"}`. Each connection is answered in order; a line over 1 MiB, or what is not such a
 * request, ends the connection after an error line (the requests before it are answered, none after
 * it runs). At most 8 connections at once; at close, the command under way is waited for (5 s at
 * most) and none queued is started, since the inventory store closes next.
 */
import { chmod, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { ControlCommands, ControlHandler } from './control.js';

/** The socket of the daemon whose data dir is `dataDir`. */
export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

/** The longest socket path Linux takes (sun_path is 108 bytes with its terminating NUL). */
export const SOCKET_PATH_MAX = 107;

export const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_CONNECTIONS = 8;
/** Longest wait at close for the commands under way (the store closes right after). */
const CLOSE_WAIT_MS = 5000;

export class ControlServer implements ControlCommands {
  private readonly handlers = new Map<string, ControlHandler>();
  private readonly sockets = new Set<Socket>();
  /** The commands under way: close waits for them before the store they use closes. */
  private readonly running = new Set<Promise<unknown>>();
  private closing = false;
  /** Connections ended after a bad request: what they queued behind it is not run. */
  private readonly refused = new WeakSet<Socket>();
  private server: Server | undefined;
  private path: string | undefined;

  constructor(private readonly log: Logger) {}

  register(name: string, handler: ControlHandler): void {
    if (this.handlers.has(name)) throw new Error(`control command ${name} is registered twice`);
    this.handlers.set(name, handler);
  }

  /** The commands registered, sorted (for `unknown command` answers and the log). */
  commands(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /**
   * Listens on `path`. A socket file left by a daemon that died is replaced; one a live daemon
   * answers on is not (rejects). A path too long for a Unix socket rejects with a clear message.
   */
  async listen(path: string): Promise<void> {
    if (Buffer.byteLength(path) > SOCKET_PATH_MAX)
      throw new Error(
        `control socket ${path} is longer than the ${SOCKET_PATH_MAX} bytes a Unix socket path may have: use a shorter dataDir`,
      );
    if (await answers(path))
      throw new Error(`control socket ${path} is in use: is another daemon running on this data dir?`);
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    const server = createServer((socket) => this.serve(socket));
    server.maxConnections = MAX_CONNECTIONS;
    // Owner only from the moment it exists: the umask covers the bind, chmod makes sure.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    await chmod(path, 0o600);
    server.on('error', (err) => this.log.warn({ err }, 'control socket error'));
    this.closing = false;
    this.server = server;
    this.path = path;
  }

  /**
   * Stops listening, hangs up on every client and waits (at most 5 s) for the commands under
   * way; a request still queued on a connection is not started.
   */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    this.closing = true;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS);
      });
      const done = await Promise.race([Promise.allSettled([...this.running]).then(() => true), late]);
      clearTimeout(timer);
      if (!done) this.log.warn({ commands: this.running.size }, 'control commands still running at close');
    }
    if (this.path)
      await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') this.log.warn({ err }, 'could not remove the control socket');
      });
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy()); // a client that went away: nothing to answer
    let pending: Buffer = Buffer.alloc(0);
    let queue = Promise.resolve();
    // Nothing more is buffered at once; the requests before it are still answered, in order.
    const tooLong = () => {
      socket.removeAllListeners('data');
      queue = queue.then(() => this.refuse(socket, 'request longer than 1 MiB'));
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let nl = pending.indexOf(10); nl >= 0; nl = pending.indexOf(10)) {
        const line = pending.subarray(0, nl);
        pending = pending.subarray(nl + 1);
        if (line.length > MAX_REQUEST_BYTES) return tooLong();
        queue = queue.then(() => this.answer(socket, line));
      }
      if (pending.length > MAX_REQUEST_BYTES) tooLong();
    });
  }

  private refuse(socket: Socket, message: string): void {
    this.refused.add(socket);
    socket.end(`${JSON.stringify({ id: null, ok: false, error: message })}\n`);
    socket.removeAllListeners('data');
  }

  private async answer(socket: Socket, line: Buffer): Promise<void> {
    // The store the commands use is closing next. A connection ended on a bad request answers
    // nothing more, so a command queued behind it must not run unseen.
    if (this.closing || this.refused.has(socket)) return;
    let request: { id?: unknown; command?: unknown; args?: unknown };
    try {
      request = JSON.parse(line.toString('utf8'));
    } catch {
      return this.refuse(socket, 'a request is one line of JSON');
    }
    if (typeof request !== 'object' || request === null || typeof request.command !== 'string')
      return this.refuse(socket, 'a request is {"id", "command", "args"}');
    const id = request.id ?? null;
    const handler = this.handlers.get(request.command);
    let reply: object;
    if (!handler) {
      const known = this.commands();
      reply = {
        id,
        ok: false,
        error: `unknown command ${JSON.stringify(request.command.slice(0, 64))}${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`,
      };
    } else {
      const args = request.args;
      const run = (async () => handler(args))(); // a handler that throws at once fails like one that rejects
      this.running.add(run);
      try {
        reply = { id, ok: true, result: (await run) ?? null };
      } catch (err) {
        const message = err instanceof Error ? err.message : 'the command failed';
        if (!(err instanceof Error))
          this.log.warn({ err, command: request.command }, 'control command failed');
        reply = { id, ok: false, error: message };
      } finally {
        this.running.delete(run);
      }
    }
    if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
  }
}

/** True when something accepts connections on `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
