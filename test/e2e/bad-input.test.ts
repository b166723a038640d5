/**
 * Bad input through the whole daemon: garbage bytes, an overlong line, a wrong check digit and a
 * label with no serial go in through a PTY; each is reported on the rejects topic with its code
 * and raw bytes, the daemon keeps running, and a good read afterwards becomes an event. The
 * health and retained status topics are checked on the way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload, RejectPayload } from '../../daemon/contract/topics.js';
import { startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';

let dir: string;
let broker: Mosquitto;
let pty: Pty;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-bad-'));
  broker = await startMosquitto();
  pty = await openPty(dir);
});

afterAll(async () => {
  await pty?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bad input through the daemon', () => {
  it('reports every bad read on the rejects topic and keeps running', async () => {
    const base = 'readpoint/v1/site-test/gw-test';
    const config = writeE2eConfig({
      dir,
      uplinkUrl: broker.url,
      readers: serialReaderYaml(pty.readerPath, { maxReadLength: 128 }),
    });
    const rejects = await collect(broker.url, `${base}/rejects`);
    const events = await collect(broker.url, `${base}/events/+`);
    const health = await collect(broker.url, `${base}/health`);
    const status = await collect(broker.url, `${base}/status`);
    const daemon = startDaemon(config);
    try {
      await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
      await pty.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d]));
      await pty.write(`${'X'.repeat(100_000)}\r`);
      await pty.write(']d2010950600013435321SN1\r'); // wrong GTIN check digit
      await pty.write(']d20109506000134352\r'); // a GTIN with no serial: not a unit
      await pty.write(']d2010950600013435221GOOD\r');
      await events.waitFor(1, 20_000);
      await rejects.waitFor(4, 20_000);
      const got = rejects.messages.map((m) => JSON.parse(String(m.payload)) as RejectPayload);
      expect(got.map((r) => r.code)).toEqual(['non-printable', 'overlong', 'check-digit', 'not-serialized']);
      expect(got[0]).toMatchObject({
        gateway: 'gw-test',
        reader: 'scanner-1',
        readPoint: 'conveyor-1',
        rawHex: '00ff1337',
        rawLength: 4,
      });
      expect(got[1]!.rawLength).toBe(128);
      expect(got[2]!.message).toContain('check digit');
      expect(JSON.parse(String(events.messages[0]!.payload))['rp:unit'].serial).toBe('GOOD');

      // A report taken after the four rejects were published counts all of them (the first
      // report, at start, came before any read).
      const after = await daemon.waitForLog((l) => l.msg === 'health', 10_000, daemon.logs.length);
      const h = after.health as HealthPayload;
      expect(h.readers).toEqual([
        expect.objectContaining({ id: 'scanner-1', state: 'connected', rejects: 4 }),
      ]);
      expect(h.events.rejected).toBe(4);
      expect(h.uplink.state).toBe('connected');
      await health.waitFor(2, 10_000);
      expect(health.messages.map((m) => (JSON.parse(String(m.payload)) as HealthPayload).gateway)).toContain(
        'gw-test',
      );
      expect(daemon.logs.filter((l) => l.msg === 'read rejected')).toHaveLength(4);
      expect(status.messages.map((m) => String(m.payload))).toEqual(['online']);
    } finally {
      expect(await daemon.kill('SIGTERM')).toBe(0);
    }
    await status.waitFor(2, 5000);
    expect(status.messages.map((m) => String(m.payload))).toEqual(['online', 'offline']);
    for (const c of [rejects, events, health, status]) await c.close();
  });
});
