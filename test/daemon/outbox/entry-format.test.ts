/** The stored form of an outbox entry: written, read back, older records, damaged ones. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { decodeEntry, encodeEntry, entryKey, entryOf, seqOf } from '../../../daemon/outbox/batch-plan.js';
import { storedBytes } from '../../../daemon/outbox/entry-bytes.js';
import { LevelOutbox } from '../../../daemon/outbox/level-outbox.js';
import { asText } from './helpers.js';

const event = '{"type":"ObjectEvent","eventID":"urn:uuid:1","rp:sequence":7,"note":"a \\"quoted\\" | line"}';
const entry = { seq: 7, topic: 'readpoint/v1/s/g/events/dock-3', payload: event, acceptedAt: 1764387000123 };

describe('outbox entry format', () => {
  it('stores the payload as it is, after a one-line header', () => {
    const v = encodeEntry(entry);
    expect(v).toBe(`1|1764387000123|${event.length}|readpoint/v1/s/g/events/dock-3\n${event}`);
    expect(decodeEntry(v)).toEqual({ t: entry.topic, p: event, a: entry.acceptedAt });
  });

  it('round-trips any topic, payload and time', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._/|-]{1,80}$/),
        fc.string({ maxLength: 300 }),
        fc.integer({ min: 0, max: 2 ** 47 }),
        (topic, payload, acceptedAt) => {
          const v = encodeEntry({ seq: 1, topic, payload, acceptedAt });
          expect(decodeEntry(v)).toEqual({ t: topic, p: payload, a: acceptedAt });
        },
      ),
    );
  });

  it('keys hold the sequence number as 16 hex digits and give it back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (seq) => {
        const key = entryKey(seq);
        expect(key).toBe(`e!${seq.toString(16).padStart(16, '0')}`);
        expect(seqOf(key)).toBe(seq);
      }),
    );
    // Keys not written by the outbox read as Number.parseInt reads them.
    for (const key of [
      'e!000000000000000g',
      'e!00000000000000`0',
      'e!0000000000000@00',
      'e!00000000000000FF',
      'e!ff',
      'e!',
      'q!0000000000000010',
      'e!-000000000000001',
    ])
      expect(seqOf(key), key).toBe(Number.parseInt(key.slice(2), 16));
  });

  it('reads an entry with its sequence number as decodeEntry reads it, the topic right after another of the same length', () => {
    const pieces = fc.constantFrom(
      '1',
      '|',
      '\n',
      '0',
      '7',
      '9',
      'a',
      'b',
      '-',
      '.',
      'e',
      ' ',
      '{',
      '"',
      'é',
    );
    const text = (max: number) => fc.array(pieces, { maxLength: max }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.tuple(text(8), text(3), text(4), text(5)), ([at, length, topic, payload]) => {
        const v = `1|${at}|${length}|${topic}\n${payload}`;
        const d = decodeEntry(v);
        const e = entryOf(9, v);
        expect(e && { t: e.topic, p: e.payload, a: e.acceptedAt }).toEqual(d);
        if (e) expect(e.seq).toBe(9);
      }),
    );
    for (const [topic, payload, acceptedAt] of [
      ['readpoint/v1/s/g/events/dock-3', 'x', 1],
      ['readpoint/v1/s/g/events/dock-3', '', 2],
      ['readpoint/v1/s/g/events/dock-4', 'y', 3.5],
      ['t', 'z', -4],
    ] as const) {
      const e = entryOf(1, encodeEntry({ seq: 1, topic, payload, acceptedAt }));
      expect(e).toEqual({ seq: 1, topic, payload, acceptedAt });
    }
    expect(entryOf(1, JSON.stringify({ t: 'a', p: 'b', a: 3 }))).toEqual({
      seq: 1,
      topic: 'a',
      payload: 'b',
      acceptedAt: 3,
    });
  });

  it('still reads records written as JSON by earlier versions', () => {
    const legacy = JSON.stringify({ t: entry.topic, p: event, a: entry.acceptedAt });
    expect(decodeEntry(legacy)).toEqual({ t: entry.topic, p: event, a: entry.acceptedAt });
  });

  it('refuses a record cut short, a wrong length, a missing part or garbage', () => {
    const v = encodeEntry(entry);
    for (const bad of [
      v.slice(0, v.length - 1), // cut short by one character
      v.slice(0, Math.floor(v.length / 2)),
      `${v}x`, // one too many
      v.replace(`|${event.length}|`, '|x|'),
      v.replace('|1764387000123|', '||'),
      v.replace('|readpoint/v1/s/g/events/dock-3\n', '|\n'), // no topic
      v.replace('\n', ' '), // no line break
      '1|',
      'not json at all \u0000\u00ff',
      JSON.stringify({ t: 'readpoint/v1/x', p: 42 }),
      '',
    ])
      expect(decodeEntry(bad), JSON.stringify(bad.slice(0, 60))).toBeUndefined();
  });

  it('an outbox opened on records of both forms hands them all out, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-entry-'));
    try {
      const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
      await db.open();
      await db.put(entryKey(1), JSON.stringify({ t: 't/1', p: 'old one', a: 1001 }));
      await db.put(entryKey(2), encodeEntry({ seq: 2, topic: 't/2', payload: 'new one', acceptedAt: 1002 }));
      await db.close();
      const o = new LevelOutbox(
        dir,
        { maxEvents: 100, maxBytes: 1 << 20, overflow: 'drop-oldest', batchMax: 8 },
        silentLogger(),
      );
      await o.open();
      expect(asText(await o.take(10))).toEqual([
        { seq: 1, topic: 't/1', payload: 'old one', acceptedAt: 1001 },
        { seq: 2, topic: 't/2', payload: 'new one', acceptedAt: 1002 },
      ]);
      expect(o.stats().quarantined).toBe(0);
      await o.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('as bytes: exactly the UTF-8 of the text form, for any text, appended as text or as bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((t) => !/[|\n]/.test(t)),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 0, max: 2 ** 47 }),
        (topic, payload, acceptedAt) => {
          const e = { seq: 1, topic, payload, acceptedAt };
          const text = encodeEntry(e);
          const stored = storedBytes(e);
          expect(stored.value.equals(Buffer.from(text))).toBe(true);
          expect(stored.payload.equals(Buffer.from(payload))).toBe(true);
          expect(stored.size).toBe(text.length);
          const fromBytes = storedBytes({ ...e, payload: Buffer.from(payload) });
          expect(fromBytes.value.equals(stored.value)).toBe(true);
          expect(fromBytes.size).toBe(text.length);
          expect(decodeEntry(stored.value.toString())).toEqual({ t: topic, p: payload, a: acceptedAt });
        },
      ),
    );
  });

  it('hands out a text payload as that text, live and from the store, stored as the text form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-entry-'));
    const text = '{"bizLocation":"Lager Süd ✓","n":"😀"}';
    try {
      const options = { maxEvents: 100, maxBytes: 1 << 20, overflow: 'drop-oldest' as const, batchMax: 8 };
      const o = new LevelOutbox(dir, options, silentLogger());
      await o.open();
      const e = { seq: o.nextSequence(), topic: 't/ü', payload: text, acceptedAt: 1001 };
      expect(await o.append(e)).toBe(true);
      const [live] = await o.take(1);
      expect(live?.payload).toBe(text);
      await o.close();
      const raw = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
      await raw.open();
      expect(await raw.get(entryKey(e.seq))).toBe(encodeEntry(e));
      await raw.close();
      const again = new LevelOutbox(dir, options, silentLogger());
      await again.open();
      const [stored] = await again.take(1);
      expect(stored && { ...stored, payload: Buffer.from(stored.payload) }).toEqual({
        ...e,
        payload: Buffer.from(text),
      });
      // Counted as the text form, as the outbox always has.
      expect(again.stats()).toMatchObject({ quarantined: 0, bytes: 18 + encodeEntry(e).length });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
