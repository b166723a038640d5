/**
 * TLS and credentials against real Mosquitto listeners: certificates made here with openssl
 * (a throwaway CA and a server certificate for localhost / 127.0.0.1), a password file made with
 * mosquitto_passwd.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UplinkOptions } from '../../../daemon/uplink/mqtt-uplink.js';
import type { UplinkStatus } from '../../../daemon/uplink/uplink.js';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.js';
import { collect } from '../../support/mqtt-collector.js';
import { eventTopic, memoryLogger, until, uplinkKinds, uplinkOptions } from './helpers.js';

let dir: string;
const cleanup: (() => Promise<unknown>)[] = [];

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rp-tls-'));
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=readpoint test ${ca}`,
    );
  }
  openssl('req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  );
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwords'), 'gateway', 'right-secret-42'], {
    stdio: 'pipe',
  });
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function broker(options: Parameters<typeof startMosquitto>[0]): Promise<Mosquitto> {
  const b = await startMosquitto(options);
  cleanup.push(() => b.stop());
  return b;
}

describe.each(uplinkKinds)('$name', ({ make }) => {
  async function started(options: UplinkOptions) {
    const { log, lines } = memoryLogger();
    const uplink = make(options, log);
    const attempts: number[] = [];
    uplink.on('state', (s: UplinkStatus) => s.state === 'connecting' && attempts.push(performance.now()));
    cleanup.push(() => uplink.stop());
    await uplink.start();
    return { uplink, lines, attempts };
  }

  describe('over TLS', () => {
    const tls = () => ({
      ca: join(dir, 'ca.crt'),
      cert: join(dir, 'server.crt'),
      key: join(dir, 'server.key'),
    });

    it('refuses a broker whose certificate another CA signed, and keeps retrying', async () => {
      const b = await broker({ tls: tls() });
      const { uplink, attempts } = await started(uplinkOptions(b.url, { ca: join(dir, 'other-ca.crt') }));
      expect(uplink.status().state).toBe('disconnected');
      expect(uplink.status().lastError).toMatch(/certificate/);
      await until(() => attempts.length >= 3, 'three attempts');
      expect(uplink.status()).toMatchObject({ connects: 0 });
      expect(['disconnected', 'connecting']).toContain(uplink.status().state);
    });

    it('connects and delivers with the right CA (by name and by IP address)', async () => {
      const b = await broker({ tls: tls() });
      const ca = readFileSync(join(dir, 'ca.crt'));
      const events = await collect(b.url, eventTopic, { ca });
      cleanup.push(() => events.close());
      for (const url of [b.url, `mqtts://127.0.0.1:${b.port}`]) {
        const { uplink } = await started(uplinkOptions(url, { ca: join(dir, 'ca.crt') }));
        expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
        await uplink.publish(eventTopic, `over ${url}`);
      }
      await events.waitFor(2, 5000);
      expect(events.messages.map((m) => m.payload.toString())).toEqual([
        `over ${b.url}`,
        `over mqtts://127.0.0.1:${b.port}`,
      ]);
    });
  });

  describe('with credentials', () => {
    it('reports not-authorized for a wrong password, backs off, and never logs the secret', async () => {
      const b = await broker({ passwordFile: join(dir, 'passwords') });
      const { uplink, lines, attempts } = await started(
        uplinkOptions(b.url, {
          username: 'gateway',
          password: 'wrong-secret-17',
          retry: { minMs: 50, maxMs: 400 },
        }),
      );
      expect(uplink.status().state).toBe('disconnected');
      expect(uplink.status().lastError).toMatch(/Not authorized.*not-authorized/);
      await until(() => attempts.length >= 4, 'four attempts');
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      // The first retry is jittered over [minMs / 2, minMs], the later ones over the upper half of each step.
      expect(gaps[0]).toBeGreaterThanOrEqual(20);
      for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(45);
      expect(uplink.status().connects).toBe(0);
      expect(lines.some((l) => l.includes('uplink cannot connect'))).toBe(true);
      expect(lines.filter((l) => l.includes('wrong-secret-17'))).toEqual([]);
    });

    it('keeps credentials given in the URL out of status and logs', async () => {
      const b = await broker({ passwordFile: join(dir, 'passwords') });
      const url = `mqtt://gateway:right-secret-42@127.0.0.1:${b.port}`;
      const { uplink, lines } = await started(uplinkOptions(url));
      expect(uplink.status()).toMatchObject({
        state: 'connected',
        connects: 1,
        url: `mqtt://127.0.0.1:${b.port}`,
      });
      await uplink.publish(eventTopic, 'authenticated');
      await uplink.stop();
      expect(lines.some((l) => l.includes('uplink connected'))).toBe(true);
      expect(lines.filter((l) => l.includes('right-secret-42') || l.includes('gateway:'))).toEqual([]);
    });

    it('connects with the right username and password', async () => {
      const b = await broker({ passwordFile: join(dir, 'passwords') });
      const events = await collect(b.url, eventTopic, { username: 'gateway', password: 'right-secret-42' });
      cleanup.push(() => events.close());
      const { uplink } = await started(
        uplinkOptions(b.url, { username: 'gateway', password: 'right-secret-42' }),
      );
      expect(uplink.status()).toMatchObject({ state: 'connected', connects: 1 });
      await uplink.publish(eventTopic, 'hello');
      await events.waitFor(1, 5000);
      expect(events.messages[0]?.payload.toString()).toBe('hello');
    });
  });
});
