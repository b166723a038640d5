/**
 * The control socket of the running daemon (control.ts is the seam): newline-delimited JSON over a
 * Unix socket at `<dataDir>/control.sock`, readable and writable by the daemon's user only.
 *
 * A request is one line `{"id": <any>, "command": "<feature>.<verb>", "args": <any>}`; its answer
 * one line `{"id": <same>, "ok": true, "result": <any>}` or `{"id": <same>, "ok": false, "error":
 * "<message>"}`. Each connection is answered in order; a line over 1 MiB, or what is not such a
 * request, ends the connection after an error line. At most 8 connections at once.
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

export class ControlServer implements ControlCommands {
  private readonly handlers = new Map<string, ControlHandler>();
  private readonly sockets = new Set<Socket>();
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
    this.server = server;
    this.path = path;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let nl = pending.indexOf(10); nl >= 0; nl = pending.indexOf(10)) {
        const line = pending.subarray(0, nl);
        pending = pending.subarray(nl + 1);
        if (line.length > MAX_REQUEST_BYTES) return this.refuse(socket, 'request longer than 1 MiB');
        queue = queue.then(() => this.answer(socket, line));
      }
      if (pending.length > MAX_REQUEST_BYTES) this.refuse(socket, 'request longer than 1 MiB');
    });
  }

  private refuse(socket: Socket, message: string): void {
    socket.end(`${JSON.stringify({ id: null, ok: false, error: message })}\n`);
    socket.removeAllListeners('data');
  }

  private async answer(socket: Socket, line: Buffer): Promise<void> {
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
      try {
        reply = { id, ok: true, result: (await handler(request.args)) ?? null };
      } catch (err) {
        const message = err instanceof Error ? err.message : 'the command failed';
        if (!(err instanceof Error))
          this.log.warn({ err, command: request.command }, 'control command failed');
        reply = { id, ok: false, error: message };
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
