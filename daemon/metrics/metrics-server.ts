/**
 * The optional Prometheus endpoint: `GET /metrics` on a small HTTP listener, localhost by default.
 *
 * Contract:
 * - `GET /metrics` (a query string is ignored) answers 200 with `renderMetrics()` of the current
 *   health snapshot plus the process memory, as `text/plain; version=0.0.4; charset=utf-8`.
 *   `HEAD /metrics` answers the same headers without a body.
 * - While `snapshot()` returns undefined (the gateway is starting) it answers 503 with a one-line
 *   reason; any other path 404; any other method on /metrics 405 with `Allow: GET, HEAD`. A
 *   snapshot or rendering that throws answers 500 and is logged; the server keeps serving.
 * - `start()` resolves once listening; port 0 picks a free port (see `address()`). It rejects
 *   with an error saying what to change when the port is in use, the host is not an address of
 *   this machine, or the port needs privileges.
 * - `stop()` closes the listener and every connection, keep-alive and half-sent requests too, so
 *   the daemon stops at once; it may be called before `start()` or twice.
 * - Nothing is read from the request beyond its method and path: scrapers cannot change anything.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopback } from '../../config/loopback.js';
import type { Config } from '../../config/schema.js';
import type { HealthPayload } from '../contract/topics.js';
import type { Logger } from '../log.js';
import { type ProcessMemory, renderMetrics } from './prometheus.js';

/** The content type of the Prometheus text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsServerOptions {
  /** Listen address; 127.0.0.1 keeps the metrics on this machine. */
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Measures the process memory at each scrape; default `process.memoryUsage()`. */
  readonly memory?: () => ProcessMemory;
}

export class MetricsServer {
  private server: Server | undefined;

  /** `snapshot` gives the latest health snapshot, or undefined while there is none yet. */
  constructor(
    private readonly opts: MetricsServerOptions,
    private readonly snapshot: () => HealthPayload | undefined,
    private readonly log: Logger,
  ) {}

  /** Listens on `host:port`; rejects with what to change when it cannot. */
  async start(): Promise<void> {
    if (this.server) throw new Error('the metrics server is already started');
    const { host, port } = this.opts;
    const server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenError(err as NodeJS.ErrnoException, host, port)));
      server.listen(port, host, () => {
        server.removeAllListeners('error');
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err: err.message }, 'metrics server error'));
    this.server = server;
    const bound = this.address();
    this.log.info(
      { ...bound, url: `http://${urlHost(bound.host)}:${bound.port}/metrics` },
      'metrics listening',
    );
  }

  /** The bound address; the real port when started with port 0. */
  address(): { host: string; port: number } {
    const bound = this.server?.address() as AddressInfo | null | undefined;
    if (!bound) throw new Error('the metrics server is not listening');
    return { host: this.opts.host, port: bound.port };
  }

  /** Closes the listener and all its connections; resolves once the port is free. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // close() alone waits for keep-alive connections and requests still being received.
    server.closeAllConnections();
    await closed;
    this.log.info('metrics stopped');
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      reply(req, res, 404, 'not found: the metrics are at /metrics');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      reply(req, res, 405, `method ${req.method} is not allowed: use GET /metrics`);
      return;
    }
    let body: string | undefined;
    try {
      const health = this.snapshot();
      if (health) body = renderMetrics(health, { memory: (this.opts.memory ?? defaultMemory)() });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'metrics could not be rendered');
      reply(req, res, 500, 'metrics could not be rendered; the daemon log says why');
      return;
    }
    if (body === undefined) {
      res.setHeader('Retry-After', '5');
      reply(req, res, 503, 'no health snapshot yet: the gateway is starting, try again in a few seconds');
      return;
    }
    reply(req, res, 200, body, METRICS_CONTENT_TYPE);
  }
}

function defaultMemory(): ProcessMemory {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rss, heapUsed, heapTotal };
}

/** Sends `text` (a one-line reason gets its line feed here); HEAD gets the headers only. */
function reply(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  type = 'text/plain; charset=utf-8',
): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `metrics port ${port} on ${host}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`${where} is in use; set metrics.port or disable metrics`);
    case 'EACCES':
      return new Error(`${where} needs privileges; set metrics.port above 1023 or disable metrics`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(
        `metrics host ${host} is not an address of this machine; set metrics.host (127.0.0.1 keeps it local) or disable metrics`,
      );
    default:
      return new Error(`${where} cannot be listened on (${err.message}); set metrics.host and metrics.port`);
  }
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The daemon's endpoint from its config (`metrics`), started; undefined when disabled. A host
 * beyond this machine is served but warned about. Scrapes get 503 until `snapshot` has one.
 */
export async function serveMetrics(
  config: Config,
  snapshot: () => HealthPayload | undefined,
  parentLog: Logger,
): Promise<MetricsServer | undefined> {
  if (!config.metrics.enabled) return undefined;
  const log = parentLog.child({ component: 'metrics' });
  const { host, port } = config.metrics;
  if (!isLoopback(host))
    log.warn({ host }, `metrics are served on ${host}, beyond this machine: keep the port behind a firewall`);
  const server = new MetricsServer({ host, port }, snapshot, log);
  await server.start();
  log.info(server.address(), 'metrics served at /metrics');
  return server;
}
