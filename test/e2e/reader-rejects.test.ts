/**
 * The rejects of a reader, counted the same everywhere: bad labels go in through a PTY scanner,
 * and the reader's `rejects` on the health topic, its `readpoint_reader_rejects_total` on the
 * metrics endpoint, the gateway's `events.rejected` and the summary all give the exact number of
 * reads on the rejects topic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthPayload, RejectPayload, SummaryPayload } from '../../daemon/contract/topics.js';
import { startDaemon } from '../support/daemon.js';
import { serialReaderYaml, writeE2eConfig } from '../support/e2e-config.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';

let dir: string;
let broker: Mosquitto;
let pty: Pty;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rp-reader-rejects-'));
  broker = await startMosquitto();
  pty = await openPty(dir);
});

afterAll(async () => {
  await pty?.close();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('rejects per reader', () => {
  it('counts each bad read of the reader on health, in the metrics and in the summary', async () => {
    const base = 'readpoint/v1/site-test/gw-test';
    const config = writeE2eConfig({
      dir,
      uplinkUrl: broker.url,
      readers: serialReaderYaml(pty.readerPath, { maxReadLength: 128 }),
      extra: 'metrics: { enabled: true, port: 0 }\njobs: { summary: "* * * * * *" }\n',
    });
    const rejects = await collect(broker.url, `${base}/rejects`);
    const events = await collect(broker.url, `${base}/events/+`);
    const health = await collect(broker.url, `${base}/health`);
    const summaries = await collect(broker.url, `${base}/summary`);
    const daemon = startDaemon(config);
    try {
      const served = await daemon.waitForLog((l) => l.msg === 'metrics served at /metrics');
      await daemon.waitForLog((l) => l.msg === 'reader state' && l.state === 'connected');
      await pty.write(']d2010950600013435321SN1\r'); // wrong GTIN check digit
      await pty.write(']d2010950600013435221GOOD1\r');
      await pty.write(']d20109506000134352\r'); // a GTIN with no serial: not a unit
      await pty.write(']d2010950600013435321SN2\r'); // wrong GTIN check digit
      await pty.write(Buffer.from([0x00, 0xff, 0x0d])); // not text
      await pty.write(`${'X'.repeat(1000)}\r`); // overlong: rejected by the driver
      await pty.write(']d2010950600013435221GOOD2\r');
      await rejects.waitFor(5, 20_000);
      await events.waitFor(2, 20_000);
      const codes = rejects.messages.map((m) => (JSON.parse(String(m.payload)) as RejectPayload).code);
      // The driver reports an overlong line as it frames it, ahead of the reads still queued.
      expect(codes.sort()).toEqual([
        'check-digit',
        'check-digit',
        'non-printable',
        'not-serialized',
        'overlong',
      ]);

      // Every read is counted by now (its reject or event is out); the second heartbeat from
      // now was certainly taken after this.
      await health.waitFor(health.messages.length + 2, 10_000);
      const h = JSON.parse(String(health.messages.at(-1)!.payload)) as HealthPayload;
      expect(h.readers).toEqual([expect.objectContaining({ id: 'scanner-1', reads: 6, rejects: 5 })]);
      expect(h.events.rejected).toBe(5);

      const res = await fetch(`http://127.0.0.1:${served.port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const sample = text
        .split('\n')
        .filter((l) => l.startsWith('readpoint_reader_rejects_total{'))
        .map((l) => [/reader="([^"]*)"/.exec(l)?.[1], l.split(' ').at(-1)]);
      expect(sample).toEqual([['scanner-1', '5']]);
      expect(text).toMatch(/^readpoint_reads_rejected_total\{[^}]*\} 5$/m);

      // The summaries of the periods since the start add up to the same counts.
      const counted = () =>
        summaries.messages
          .map((m) => JSON.parse(String(m.payload)) as SummaryPayload)
          .flatMap((s) => s.readers.filter((r) => r.id === 'scanner-1'))
          .reduce((sum, r) => ({ reads: sum.reads + r.reads, rejects: sum.rejects + r.rejects }), {
            reads: 0,
            rejects: 0,
          });
      await expect.poll(() => counted().reads, { timeout: 10_000, interval: 50 }).toBe(6);
      expect(counted().rejects).toBe(5);
    } finally {
      expect(await daemon.kill('SIGTERM')).toBe(0);
    }
    await Promise.all([rejects.close(), events.close(), health.close(), summaries.close()]);
  });
});
