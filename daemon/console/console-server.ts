/**
 * The web console's HTTP listener: a read-only view for technicians.
 *
 * Contract:
 * - Only GET and HEAD are answered; any other method gets 405 with `Allow: GET, HEAD`. Nothing a
 *   request carries beyond its method, path, `Authorization` and address is read: no page or
 *   endpoint changes anything in the gateway.
 * - With logins, every path asks for one (401 with `WWW-Authenticate: Basic`); an address that
 *   failed 5 times within a minute gets 429 with `Retry-After`, its password not checked.
 * - Every answer carries the security headers below: a Content-Security-Policy that allows only
 *   the console's own files (no inline script, no other origin, no framing).
 * - `GET /api/live` is a Server-Sent Events stream (`ConsoleFeed`); at most `maxClients` at once
 *   (503 beyond), and all connections together at most four times that.
 * - `GET /api/config` answers the running configuration (secrets hidden) and the check of the
 *   file on disk now; one check runs at a time, others wait for its answer.
 * - `stop()` closes the listener and every connection, live streams too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { ConsoleFeed } from './console-feed.js';
import type { ConsoleLogins } from './console-logins.js';
import type { StaticFiles } from './static-files.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
});

export interface ConsoleServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxClients: number;
}

export interface ConsoleSources {
  readonly logins: ConsoleLogins;
  readonly files: StaticFiles;
  readonly feed: ConsoleFeed;
  /** The configuration page's JSON. */
  readonly config: () => Promise<unknown>;
}

export class ConsoleServer {
  private server: Server | undefined;
  private configAnswer: Promise<string> | undefined;

  constructor(
    private readonly opts: ConsoleServerOptions,
    private readonly sources: ConsoleSources,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { host, port } = this.opts;
    const server = createServer((req, res) => this.answer(req, res));
    server.maxConnections = this.opts.maxClients * 4;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `console port ${port} on ${host} cannot be listened on (${err.code ?? err.message}); set console.host and console.port`,
          ),
        ),
      );
      server.listen(port, host, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message }, 'console server error'));
    this.server = server;
  }

  /** The bound address; the real port when started with port 0. */
  address(): { host: string; port: number } {
    const bound = this.server?.address() as AddressInfo | null | undefined;
    if (!bound) throw new Error('the console is not listening');
    return { host: this.opts.host, port: bound.port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    this.sources.feed.closeAll();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      text(req, res, 405, 'the console is read-only: only GET and HEAD');
      return;
    }
    const verdict = this.sources.logins.check(req.headers.authorization, req.socket.remoteAddress ?? '');
    if (!verdict.ok) {
      if (verdict.why === 'throttled') {
        res.setHeader('Retry-After', String(verdict.retryAfterS));
        text(req, res, 429, 'too many failed logins from this address; try again later');
        return;
      }
      res.setHeader('WWW-Authenticate', 'Basic realm="readpoint console", charset="UTF-8"');
      text(req, res, 401, 'a console login is required');
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/live') {
      if (req.method === 'HEAD') {
        text(req, res, 200, '');
        return;
      }
      if (!this.sources.feed.join(res)) {
        res.setHeader('Retry-After', '10');
        text(req, res, 503, 'too many consoles open on this gateway; close one and try again');
      }
      return;
    }
    if (path === '/api/config') {
      void this.configJson().then(
        (body) => send(req, res, 200, body, 'application/json; charset=utf-8'),
        (err: Error) => {
          this.log.error({ err: err.message }, 'console configuration page failed');
          text(req, res, 500, 'the configuration could not be shown; the daemon log says why');
        },
      );
      return;
    }
    // Browsers ask for it on their own; there is none.
    if (path === '/favicon.ico') {
      send(req, res, 204, '', 'text/plain; charset=utf-8');
      return;
    }
    const file = this.sources.files.get(path === '/' ? '/index.html' : path);
    if (!file) {
      text(req, res, 404, 'not found');
      return;
    }
    send(req, res, 200, file.body, file.type);
  }

  private configJson(): Promise<string> {
    this.configAnswer ??= this.sources
      .config()
      .then((c) => JSON.stringify(c))
      .finally(() => {
        this.configAnswer = undefined;
      });
    return this.configAnswer;
  }
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function text(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  send(req, res, status, message === '' ? '' : `${message}\n`, 'text/plain; charset=utf-8');
}
