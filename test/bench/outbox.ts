/**
 * The outbox against its ceiling in the same run. Ceiling: raw `level` batch puts of the same
 * payloads in batches of batchMax, then a raw drain (iterate from the last key, batch-delete).
 * Ours: the same events through LevelOutbox, appended the way the recorder does (batchMax
 * appends at once, the next round when they resolved), then take/ack until empty and closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { silentLogger } from '../../daemon/log.js';
import { LevelOutbox } from '../../daemon/outbox/level-outbox.js';

const BATCH = 512;
const TOPIC = 'readpoint/v1/site-1/gw-1/events/conveyor-1';

/** A ~710-byte EPCIS ObjectEvent, different per event (so LevelDB cannot compress it away). */
export function eventPayload(seq: number): string {
  const h = (n: number) =>
    ((Math.imul(seq + n, 2654435761) >>> 0) ^ (seq * 40503)).toString(16).padStart(8, '0');
  const serial = String(100000000 + ((seq * 7919) % 900000000));
  return JSON.stringify({
    '@context': [
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { rp: 'urn:readpoint:epcis:v1:' },
    ],
    type: 'ObjectEvent',
    eventID: `urn:uuid:${h(1)}-${h(2).slice(0, 4)}-5${h(3).slice(0, 3)}-a${h(4).slice(0, 3)}-${h(5)}${h(6).slice(0, 4)}`,
    eventTime: new Date(1_750_000_000_000 + seq * 13).toISOString(),
    eventTimeZoneOffset: '+02:00',
    action: 'OBSERVE',
    epcList: [`https://id.gs1.org/01/09506000134352/21/${serial}`],
    bizStep: 'https://ref.gs1.org/cbv/BizStep-receiving',
    readPoint: { id: 'urn:epc:id:sgln:9506000.13435.conveyor-1' },
    'rp:gateway': 'gw-1',
    'rp:reader': 'scanner-1',
    'rp:readPoint': 'conveyor-1',
    'rp:sequence': seq,
    'rp:readCount': 1 + (seq % 3),
    'rp:firstSeen': new Date(1_750_000_000_000 + seq * 13).toISOString(),
    'rp:unit': { source: 'barcode', aim: ']d2', gtin: '09506000134352', serial, lot: `L${h(7).slice(0, 5)}` },
  });
}

/** Bytes of the files in `dir`; a file that a compaction removes meanwhile counts nothing. */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) {
    total += await stat(join(dir, f)).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return 0;
        throw err;
      },
    );
  }
  return total;
}

const key = (seq: number) => `e!${seq.toString(16).padStart(16, '0')}`;

async function rawPutDrain(dir: string, payloads: string[]): Promise<number> {
  const n = payloads.length;
  const db = new Level<string, string>(dir);
  await db.open();
  const t = performance.now();
  for (let i = 1; i <= n; i += BATCH) {
    const ops = [];
    for (let seq = i; seq < Math.min(n + 1, i + BATCH); seq++) {
      ops.push({ type: 'put' as const, key: key(seq), value: payloads[seq - 1]! });
    }
    await db.batch(ops);
  }
  let from = key(0);
  for (;;) {
    const entries = await db.iterator({ gt: from, lt: 'e"', limit: BATCH }).all();
    if (entries.length === 0) break;
    from = entries.at(-1)![0];
    await db.batch(entries.map(([k]) => ({ type: 'del' as const, key: k })));
  }
  const perSecond = n / ((performance.now() - t) / 1000);
  await db.close();
  return perSecond;
}

async function outboxAppendDrain(
  dir: string,
  payloads: string[],
): Promise<{ perSecond: number; bytesPerEvent: number }> {
  const n = payloads.length;
  const outbox = new LevelOutbox(
    dir,
    { maxEvents: n + 1, maxBytes: 2 ** 40, overflow: 'drop-oldest', batchMax: BATCH },
    silentLogger(),
  );
  await outbox.open();
  const t = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, n - i) }, () => {
        const seq = outbox.nextSequence();
        return outbox.append({ seq, topic: TOPIC, payload: payloads[seq - 1]!, acceptedAt: Date.now() });
      }),
    );
  }
  const appendedAt = performance.now();
  const bytesPerEvent = (await dirBytes(dir)) / n;
  const pause = performance.now() - appendedAt; // not the outbox's time
  for (let batch = await outbox.take(BATCH); batch.length > 0; batch = await outbox.take(BATCH)) {
    for (const e of batch) outbox.ack(e.seq);
  }
  await outbox.close();
  return { perSecond: n / ((performance.now() - t - pause) / 1000), bytesPerEvent };
}

export async function benchOutbox(n: number): Promise<{
  rawPutDrainPerSecond: number;
  outboxAppendDrainPerSecond: number;
  bytesPerEvent: number;
  ratio: number;
}> {
  const rawDir = mkdtempSync(join(tmpdir(), 'rp-bench-raw-'));
  const obDir = mkdtempSync(join(tmpdir(), 'rp-bench-ob-'));
  try {
    // Built before the clocks start: both runs store the very same strings.
    const payloads = Array.from({ length: n }, (_, i) => eventPayload(i + 1));
    const raw = await rawPutDrain(rawDir, payloads);
    const ours = await outboxAppendDrain(obDir, payloads);
    return {
      rawPutDrainPerSecond: raw,
      outboxAppendDrainPerSecond: ours.perSecond,
      bytesPerEvent: ours.bytesPerEvent,
      ratio: ours.perSecond / raw,
    };
  } finally {
    rmSync(rawDir, { recursive: true, force: true });
    rmSync(obDir, { recursive: true, force: true });
  }
}
