/** The /metrics endpoint, over real HTTP on a free port. */
import { Agent, request } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../../daemon/contract/topics.js';
import { silentLogger } from '../../../daemon/log.js';
import { METRICS_CONTENT_TYPE, MetricsServer } from '../../../daemon/metrics/metrics-server.js';
import { renderMetrics } from '../../../daemon/metrics/prometheus.js';

const snap = {
  gateway: 'gw-7',
  site: 'dc-north',
  time: '2025-03-01T10:00:00.000Z',
  uptimeS: 12.5,
  readers: [
    { id: 'conveyor-1', driver: 'serial-line', state: 'connected', reads: 42, rejects: 1, reconnects: 0 },
  ],
  events: { published: 40, suppressedReads: 2, rejected: 1 },
  outbox: {
    depth: 3,
    bytes: 2100,
    dropped: 0,
    lastSeq: 40,
    backlog: 3,
    policy: 'drop-oldest',
    appendRate: 1.5,
    ackRate: 1.4,
    runwayS: null,
    readingStopped: false,
    stalledS: 0,
    stalls: 0,
    held: 0,
    unannouncedDrops: 0,
    totalDropped: 0,
    quarantined: 0,
    replaying: false,
  },
  uplink: { state: 'connected', connects: 1, inflight: 0, rttMs: 4 },
} as HealthPayload;
const memory = { rss: 1000, heapUsed: 200, heapTotal: 300 };

const started: MetricsServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

async function serve(
  snapshot: () => HealthPayload | undefined,
  opts: { memory?: typeof memory | null; log?: ReturnType<typeof silentLogger> } = {},
) {
  const server = new MetricsServer(
    { host: '127.0.0.1', port: 0, ...(opts.memory === null ? {} : { memory: () => opts.memory ?? memory }) },
    snapshot,
    opts.log ?? silentLogger(),
  );
  started.push(server);
  await server.start();
  const { host, port } = server.address();
  expect(host).toBe('127.0.0.1');
  expect(port).toBeGreaterThan(0);
  return { server, url: `http://127.0.0.1:${port}`, port };
}

describe('MetricsServer', () => {
  it('serves the rendered snapshot on GET /metrics', async () => {
    const { url } = await serve(() => snap);
    for (const path of ['/metrics', '/metrics?name[]=up']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
      expect(METRICS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(Buffer.from(renderMetrics(snap, { memory }), 'utf8'))).toBe(true);
      expect(res.headers.get('content-length')).toBe(String(body.length));
    }
  });

  it('answers 503 with a reason until there is a snapshot, then 200', async () => {
    let current: HealthPayload | undefined;
    const { url } = await serve(() => current);
    const early = await fetch(`${url}/metrics`);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('5');
    expect(await early.text()).toBe(
      'no health snapshot yet: the gateway is starting, try again in a few seconds\n',
    );
    current = snap;
    const later = await fetch(`${url}/metrics`);
    expect(later.status).toBe(200);
    expect(await later.text()).toBe(renderMetrics(snap, { memory }));
  });

  it('answers 404 on other paths and 405 on other methods', async () => {
    const { url } = await serve(() => snap);
    for (const path of ['/', '/metrics/', '/metricsx', '/health']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe('not found: the metrics are at /metrics\n');
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await fetch(`${url}/metrics`, { method, ...(method === 'POST' ? { body: 'x=1' } : {}) });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await res.text()).toBe(`method ${method} is not allowed: use GET /metrics\n`);
    }
  });

  it('answers HEAD /metrics with the headers of GET and no body', async () => {
    const { url } = await serve(() => snap);
    const res = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
    expect(res.headers.get('content-length')).toBe(
      String(Buffer.byteLength(renderMetrics(snap, { memory }))),
    );
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it("measures this process's memory when not told otherwise", async () => {
    const { url } = await serve(() => snap, { memory: null });
    const text = await (await fetch(`${url}/metrics`)).text();
    const rss = /^readpoint_process_resident_memory_bytes\{gateway="gw-7",site="dc-north"\} (\d+)$/m.exec(
      text,
    );
    expect(Number(rss?.[1])).toBeGreaterThan(10 * 1024 * 1024);
    expect(text).toMatch(/^readpoint_process_heap_used_bytes\{gateway="gw-7",site="dc-north"\} \d+$/m);
  });

  it('answers 500 and logs when the snapshot fails, and keeps serving', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    let fail = true;
    const { url } = await serve(
      () => {
        if (fail) throw new Error('outbox stats unavailable');
        return snap;
      },
      { log },
    );
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('metrics could not be rendered; the daemon log says why\n');
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50);
    expect(logged).toMatchObject([{ msg: 'metrics could not be rendered', err: 'outbox stats unavailable' }]);
    fail = false;
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it('refuses a port in use with what to change', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    try {
      const m = new MetricsServer({ host: '127.0.0.1', port }, () => snap, silentLogger());
      await expect(m.start()).rejects.toThrow(
        new Error(`metrics port ${port} on 127.0.0.1 is in use; set metrics.port or disable metrics`),
      );
      expect(() => m.address()).toThrow('the metrics server is not listening');
      await m.stop();
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('refuses a host that is not an address of this machine', async () => {
    const m = new MetricsServer({ host: '192.0.2.1', port: 0 }, () => snap, silentLogger());
    await expect(m.start()).rejects.toThrow(
      'metrics host 192.0.2.1 is not an address of this machine; set metrics.host (127.0.0.1 keeps it local) or disable metrics',
    );
  });

  it('refuses to start twice; stop before start and a second stop are no-ops', async () => {
    const idle = new MetricsServer({ host: '127.0.0.1', port: 0 }, () => snap, silentLogger());
    await idle.stop();
    const { server } = await serve(() => snap);
    await expect(server.start()).rejects.toThrow('the metrics server is already started');
    await server.stop();
    await server.stop();
  });

  it('stops at once while a keep-alive client and a half-sent request hold connections', async () => {
    const { server, url, port } = await serve(() => snap);
    const agent = new Agent({ keepAlive: true });
    // A keep-alive connection that has had its answer and stays open.
    const kept = await new Promise<Socket>((resolve, reject) => {
      const req = request(`${url}/metrics`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket as Socket));
      });
      req.on('error', reject);
      req.end();
    });
    expect(kept.destroyed).toBe(false);
    // A raw connection whose request body is still coming: answered (405) but not idle.
    const raw = connect(port, '127.0.0.1');
    const rawErrors: string[] = [];
    raw.on('error', (err: NodeJS.ErrnoException) => rawErrors.push(err.code ?? err.message));
    const answer = new Promise<string>((resolve) => {
      let got = '';
      raw.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) resolve(got);
      });
    });
    raw.write('POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nfirst bytes');
    expect(await answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    const keptClosed = new Promise((resolve) => kept.once('close', resolve));
    const rawClosed = new Promise((resolve) => raw.once('close', resolve));

    const t0 = performance.now();
    await server.stop();
    expect(performance.now() - t0).toBeLessThan(1000);
    await Promise.all([keptClosed, rawClosed]);
    // The server cut the connection with a request half-read: a reset is what the client sees.
    expect(rawErrors.filter((code) => code !== 'ECONNRESET')).toEqual([]);
    agent.destroy();
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });
});
