/** The console's HTTP listener over real HTTP: logins, throttling, headers, read-only, the client bound. */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleFeed } from '../../../daemon/console/console-feed.js';
import { ConsoleLogins } from '../../../daemon/console/console-logins.js';
import { ConsoleServer, SECURITY_HEADERS } from '../../../daemon/console/console-server.js';
import { loadStaticFiles } from '../../../daemon/console/static-files.js';
import { silentLogger } from '../../../daemon/log.js';

const started: ConsoleServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of started.splice(0)) await s.stop();
});

const auth = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

async function serve(
  o: { logins?: { username: string; password: string }[]; maxClients?: number; maxQueuedBytes?: number } = {},
) {
  let configAsked = 0;
  const feed = new ConsoleFeed(
    { maxClients: o.maxClients ?? 8, maxQueuedBytes: o.maxQueuedBytes ?? 1 << 20 },
    () => JSON.stringify({ hello: 1 }),
  );
  const server = new ConsoleServer(
    { host: '127.0.0.1', port: 0, maxClients: o.maxClients ?? 8 },
    {
      logins: await ConsoleLogins.prepare(o.logins ?? []),
      files: await loadStaticFiles(),
      feed,
      config: async () => {
        configAsked++;
        return { text: 'gateway: {}' };
      },
    },
    silentLogger(),
  );
  started.push(server);
  await server.start();
  return { feed, port: server.address().port, configAsked: () => configAsked };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' || method === 'PUT' ? '{"anything":1}' : undefined);
  });
}

/** Opens the live feed on a raw socket and resolves with the status line once it comes. */
function openLive(
  port: number,
  authorization?: string,
): Promise<{ socket: Socket; status: string; received: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (c: string) => {
      const first = text === '';
      text += c;
      if (first || !text.includes('\r\n')) {
        const line = text.split('\r\n')[0]!;
        if (text.includes('\r\n')) resolve({ socket, status: line, received: () => text });
      }
    });
    socket.write(
      `GET /api/live HTTP/1.1\r\nHost: x\r\n${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n`,
    );
  });
}

async function until(what: () => boolean, tries = 5000): Promise<void> {
  for (let i = 0; i < tries && !what(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(what()).toBe(true);
}

describe('the console server', () => {
  it('asks for a login on every path, and lets the right one in', async () => {
    const { port } = await serve({ logins: [{ username: 'tech', password: 'dock-door-7' }] });
    for (const path of ['/', '/console.js', '/api/live', '/api/config', '/nowhere']) {
      const a = await get(port, path);
      expect(a.status, path).toBe(401);
      expect(a.headers['www-authenticate']).toBe('Basic realm="readpoint console", charset="UTF-8"');
    }
    expect((await get(port, '/', { Authorization: auth('tech', 'dock-door-8') })).status).toBe(401);
    expect((await get(port, '/', { Authorization: auth('nobody', 'dock-door-7') })).status).toBe(401);
    const ok = await get(port, '/', { Authorization: auth('tech', 'dock-door-7') });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>readpoint console</title>');
  });

  it('blocks an address after 5 failed logins, even with the right password then', async () => {
    const { port } = await serve({ logins: [{ username: 'tech', password: 'dock-door-7' }] });
    for (let i = 0; i < 5; i++)
      expect((await get(port, '/', { Authorization: auth('tech', `guess-${i}`) })).status).toBe(401);
    const blocked = await get(port, '/', { Authorization: auth('tech', 'dock-door-7') });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(29);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(30);
  });

  it('is open without logins (loopback only, by the config) and serves its files with the security headers', async () => {
    const { port } = await serve();
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      expect(page.headers[name.toLowerCase()]).toBe(value);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    // No inline script: every <script> has a src on this origin, and nothing from another one.
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inner] of scripts) {
      expect(attrs).toMatch(/src="\/[^/]/);
      expect(inner!.trim()).toBe('');
    }
    expect(page.body).not.toMatch(/https?:\/\//);
    const expected: Record<string, string> = {
      '/console.js': 'text/javascript; charset=utf-8',
      '/charts.js': 'text/javascript; charset=utf-8',
      '/console.css': 'text/css; charset=utf-8',
      '/vendor/uPlot.esm.js': 'text/javascript; charset=utf-8',
      '/vendor/uPlot.min.css': 'text/css; charset=utf-8',
    };
    for (const [path, type] of Object.entries(expected)) {
      const a = await get(port, path);
      expect(a.status, path).toBe(200);
      expect(a.headers['content-type']).toBe(type);
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.body.length).toBeGreaterThan(100);
    }
    expect((await get(port, '/../package.json')).status).toBe(404);
    expect((await get(port, '/vendor/../../package.json')).status).toBe(404);
  });

  it('is read-only: every method but GET and HEAD is refused, logged in or not, and nothing is asked', async () => {
    const s = await serve({ logins: [{ username: 'tech', password: 'dock-door-7' }] });
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
      for (const path of ['/', '/api/config', '/api/live']) {
        const a = await get(s.port, path, { Authorization: auth('tech', 'dock-door-7') }, method);
        expect(a.status, `${method} ${path}`).toBe(405);
        expect(a.headers.allow).toBe('GET, HEAD');
      }
    expect(s.configAsked()).toBe(0);
    const head = await get(s.port, '/api/config', { Authorization: auth('tech', 'dock-door-7') }, 'HEAD');
    expect(head.status).toBe(200);
    const config = await get(s.port, '/api/config', { Authorization: auth('tech', 'dock-door-7') });
    expect(JSON.parse(config.body)).toEqual({ text: 'gateway: {}' });
  });

  it('takes at most maxClients live browsers; one that leaves makes room', async () => {
    const { port, feed } = await serve({ maxClients: 2 });
    const a = await openLive(port);
    const b = await openLive(port);
    expect([a.status, b.status]).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    await until(() => a.received().includes('data: {"hello":1}'));
    const c = await openLive(port);
    expect(c.status).toBe('HTTP/1.1 503 Service Unavailable');
    expect(feed.watching).toBe(2);
    a.socket.destroy();
    await until(() => feed.watching === 1);
    expect((await openLive(port)).status).toBe('HTTP/1.1 200 OK');
  });

  it('drops a browser that stops reading, counted, and keeps feeding the others', async () => {
    const { port, feed } = await serve({ maxClients: 4, maxQueuedBytes: 64 * 1024 });
    const stalled = await openLive(port);
    const reading = await openLive(port);
    stalled.socket.pause();
    const big = JSON.stringify({ pad: 'x'.repeat(256 * 1024) });
    let pushes = 0;
    while (feed.dropped === 0 && pushes < 400) {
      feed.push(big);
      pushes++;
      // The reading browser takes its share before the next push.
      await turn();
      await until(() => reading.received().length >= pushes * big.length);
    }
    expect(feed.dropped).toBe(1);
    expect(feed.watching).toBe(1);
    feed.push('{"after":1}');
    await until(() => reading.received().includes('data: {"after":1}'));
  });
});
