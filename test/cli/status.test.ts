/**
 * `readpoint status --config` against the real daemon and a real Mosquitto: nothing retained
 * before the gateway ever ran, its state once a read went through, and the offline answer once
 * it stopped; plus the broker that is not there and bad options.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload } from '../../daemon/contract/topics.js';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { freePort, type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { openPty, type Pty } from '../support/pty.js';
import { healthErrors } from '../support/schemas.js';

const HEALTH = 'readpoint/v1/site-test/gw-test/health';

let dir: string;
let broker: Mosquitto;
let pty: Pty;
let config: string;
let daemon: DaemonProcess | undefined;

/** Runs the CLI without blocking this process (the daemon's log lines keep flowing in). */
function status(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cliPath, 'status', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** Resolves with the first health report on the broker that `pred` accepts. */
async function healthOnBroker(pred: (h: HealthPayload) => boolean): Promise<HealthPayload> {
  const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  try {
    const found = new Promise<HealthPayload>((resolve) => {
      client.on('message', (_topic, payload) => {
        const h = JSON.parse(payload.toString('utf8')) as HealthPayload;
        if (pred(h)) resolve(h);
      });
    });
    await client.subscribeAsync(HEALTH, { qos: 0 });
    return await found;
  } finally {
    await client.endAsync(true);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-status-'));
  broker = await startMosquitto();
  pty = await openPty(dir);
  config = writeE2eConfig({ dir, uplinkUrl: broker.url, readers: serialReaderYaml(pty.readerPath) });
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await pty?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('readpoint status --config', () => {
  it('says the broker holds nothing for a gateway that never ran (exit 4)', async () => {
    const r = await status(['--config', config]);
    expect(r.err).toBe('');
    expect(r.code).toBe(4);
    expect(r.out.split('\n').slice(0, 2)).toEqual([
      '? readpoint gw-test at site-test: nothing retained',
      '   Status: none retained',
    ]);
    const json = await status(['--config', config, '--json']);
    expect([json.code, json.out, json.err]).toEqual([
      4,
      '',
      `readpoint status: no health retained on ${HEALTH}\n`,
    ]);
  });

  it("answers with the running gateway's readers, uplink and outbox once a read went through", async () => {
    daemon = startDaemon(config);
    await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
    await pty.write(']d2010950600013435321SN1\r'); // a wrong GTIN check digit: rejected
    await pty.write(']d2010950600013435221SN0042\x1d10LOT7\r');
    const seen = await healthOnBroker((h) => h.events.published === 1 && h.outbox.depth === 0);
    expect([seen.readers[0]!.reads, seen.events.rejected]).toEqual([2, 1]);

    const r = await status(['--config', config]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('● readpoint gw-test at site-test: online, healthy');
    expect(lines).toContain('   Status: online');
    expect(lines.find((l) => l.startsWith('   Uplink: '))).toMatch(
      /^ {3}Uplink: connected, 1 connect, 0 in flight/,
    );
    expect(lines.find((l) => l.startsWith('   Outbox: '))).toMatch(
      /^ {3}Outbox: 0 events undelivered, 0 dropped, /,
    );
    expect(lines).toContain('   Events: 1 published, 1 read rejected');
    const reader = lines.filter((l) => l.includes('scanner-1'));
    expect(reader).toHaveLength(1);
    expect(reader[0]).toMatch(
      /^ {4}scanner-1 {2}serial-line {2}connected {2}2 reads {2}\d+(\.\d)?\/min {2}\d rejects? \(check-digit 1\) {2}last read \d+ s ago$/,
    );

    const json = await status(['--config', config, '--json']);
    expect(json.code).toBe(0);
    const health = JSON.parse(json.out) as HealthPayload;
    expect(healthErrors(health)).toEqual([]);
    expect(health.readers.map((h) => [h.id, h.connected, h.reads, h.rejectsByCode])).toEqual([
      ['scanner-1', true, 2, { 'check-digit': 1 }],
    ]);
    expect([health.outbox.depth, health.uplink.state, health.events.published]).toEqual([0, 'connected', 1]);
  });

  it('says plainly that a stopped gateway is offline, and how old its last health is (exit 3)', async () => {
    expect(await daemon!.kill('SIGTERM')).toBe(0);
    const r = await status(['--config', config]);
    expect(r.err).toBe('');
    expect(r.code).toBe(3);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('○ readpoint gw-test at site-test: offline');
    expect(lines).toContain('   Status: offline');
    expect(lines.filter((l) => l.includes('scanner-1'))).toHaveLength(1);
    expect(r.out).toMatch(
      /\nThe gateway is offline \(stopped, or it cannot reach this broker\): what is shown is its last health, \d+ s old\.\n$/,
    );

    const json = await status(['--config', config, '--json']);
    expect(json.code).toBe(3);
    expect((JSON.parse(json.out) as HealthPayload).readers[0]!.reads).toBe(2);
  });

  it("finds a gateway's state on its embedded broker, whose retained messages may come late", async () => {
    const own = join(dir, 'embedded');
    mkdirSync(own);
    const port = await freePort();
    const file = writeE2eConfig({ dir: own, readers: serialReaderYaml(pty.readerPath) });
    writeFileSync(file, readFileSync(file, 'utf8').replace('  port: 0\n', `  port: ${port}\n`));
    const gateway = startDaemon(file);
    try {
      await gateway.waitForLog((l) => l.msg === 'health');
      for (let run = 0; run < 3; run++) {
        const r = await status(['--config', file]);
        expect(r.err).toBe('');
        expect([r.code, r.out.split('\n')[0]]).toEqual([
          0,
          '● readpoint gw-test at site-test: online, healthy',
        ]);
      }
    } finally {
      expect(await gateway.kill('SIGTERM')).toBe(0);
    }
  });

  it('gives up on a broker that is not there, saying so (exit 5)', async () => {
    const port = await freePort();
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const absent = writeE2eConfig({
      dir: elsewhere,
      uplinkUrl: `mqtt://127.0.0.1:${port}`,
      readers: serialReaderYaml(pty.readerPath),
    });
    const r = await status(['--config', absent, '--timeout', '2']);
    expect(r.out).toBe('');
    expect(r.code).toBe(5);
    expect(r.err).toContain(`readpoint status: cannot reach mqtt://127.0.0.1:${port}: connection refused`);
    expect(r.err).toContain("the gateway's state is unknown");
  });

  it('refuses bad options as a usage error (exit 64)', async () => {
    for (const args of [
      [],
      ['--config', config, '--timeout', 'soon'],
      ['--config', config, '--timeout', '0'],
    ]) {
      const r = await status(args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.err, args.join(' ')).toMatch(
        /readpoint status: --timeout|required option '-c, --config <file>'/,
      );
    }
    const missing = await status(['--config', join(dir, 'none.yaml')]);
    expect(missing.code).toBe(64);
    expect(missing.err).toContain('none.yaml');
  });
});
