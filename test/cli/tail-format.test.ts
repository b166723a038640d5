/**
 * `readpoint tail`'s readable lines (daemon/cli/tail-format.ts, tail-lines.ts) and its option
 * checks (tail-options.ts): events built as the daemon builds them, printed in a fixed time zone.
 */
import { describe, expect, it } from 'vitest';
import { abbreviateHex, Columns, clean, duration, timeFormatter } from '../../daemon/cli/tail-format.js';
import { kindOf, TailLines } from '../../daemon/cli/tail-lines.js';
import { tailOptions } from '../../daemon/cli/tail-options.js';
import { ARRIVAL, EPC_ONLY, HEALTH, PASSAGE, REJECT, T } from './tail-fixtures.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const TOPIC = 'readpoint/v1/site-1/gw-1/events/dock-1';

describe('readable lines', () => {
  it('prints time, read point, transition, unit, GS1 fields, reader, antenna, RSSI and count in columns', () => {
    const lines = new TailLines({ timeZone: 'Europe/Berlin' });
    const out = [ARRIVAL, PASSAGE, EPC_ONLY].map((p) => lines.message(TOPIC, p));
    expect(out).toEqual([
      '2026-11-29 10:02:03.123  conveyor-1  arrival  https://id.gs1.org/01/09506000134352/21/SN0042  GTIN 09506000134352 SN SN0042 LOT LOT7 EXP 2027-12-31  reader scanner-1 x1',
      '2026-11-29 10:02:04.123  dock-1      passage inbound (0.92)  urn:epc:id:sgtin:0614141.812345.6789            GTIN 80614141123458 SN 6789                            reader rfid-1 ant 2 -55 dBm x4',
      '2026-11-29 10:03:04.123  dock-1      arrival                 urn:epc:raw:96.xE2801160600002054C1A1F8B                                                               reader rfid-2 ant 1 -71.5 dBm x1',
    ]);
  });

  it('prints the time in the time zone asked for (the local one by default)', () => {
    const utc = new TailLines({ timeZone: 'UTC' }).message(TOPIC, PASSAGE);
    expect(utc?.slice(0, 23)).toBe('2026-11-29 09:02:04.123');
    const tokyo = timeFormatter('Asia/Tokyo');
    expect(tokyo('2026-12-31T23:59:59.999Z')).toBe('2027-01-01 08:59:59.999');
    const local = new Date(T);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    expect(timeFormatter()(new Date(T).toISOString())).toBe(
      `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())} ${pad(local.getHours())}:${pad(local.getMinutes())}:${pad(local.getSeconds())}.${pad(local.getMilliseconds(), 3)}`,
    );
  });

  it('says how many rejects of the reader a reject stands for beyond itself (its skipped counts)', () => {
    const lines = new TailLines({ timeZone: 'UTC' });
    const noisy = { ...REJECT, skipped: { total: 41, byCode: { 'non-printable': 40, 'over\u001blong': 1 } } };
    expect(lines.message('r', json(noisy))).toMatch(
      /has a wrong check digit {2}\+41 more rejects not shown: non-printable 40, over\\x1blong 1$/,
    );
    expect(lines.message('r', json(REJECT))).toMatch(/has a wrong check digit$/);
  });

  it('prints a reject with its code, reader, abbreviated raw bytes and reason, and a health summary', () => {
    const lines = new TailLines({ timeZone: 'Europe/Berlin' });
    expect(lines.message('readpoint/v1/site-1/gw-1/rejects', json(REJECT))).toBe(
      '2026-11-29 10:05:00.000  conveyor-1  REJECT  check-digit  reader scanner-1  raw 5d643230313039353036303030313030… (19 bytes)  AI (01) GTIN 09506000100037 has a wrong check digit',
    );
    expect(lines.message('readpoint/v1/site-1/gw-1/health', json(HEALTH))).toBe(
      '2026-11-29 10:06:00.000  HEALTH site-1/gw-1  up 1h02m  readers: scanner-1 connected 1234 reads, rfid-1 disconnected 56 reads (device closed)  events 345 published  outbox 12 waiting (oldest 30s, 0 dropped)  uplink connected',
    );
    const onlyRfid = new TailLines({ timeZone: 'UTC', readers: ['rfid-1'] });
    expect(onlyRfid.message('h', json(HEALTH))).toContain(
      'readers: rfid-1 disconnected 56 reads (device closed)  events',
    );
  });

  it('shows anything else as topic and text, control characters escaped', () => {
    const lines = new TailLines();
    expect(lines.message('readpoint/v1/site-1/gw-1/status', Buffer.from('online'))).toBe(
      'readpoint/v1/site-1/gw-1/status  online',
    );
    expect(lines.message('t', Buffer.from('a\u001b[2Jb\r\n'))).toBe('t  a\\x1b[2Jb\\x0d\\x0a');
    const evil = JSON.parse(PASSAGE.toString());
    evil['rp:reader'] = 'rfid\u001b]0;owned\u0007';
    expect(new TailLines({ timeZone: 'UTC' }).message(TOPIC, json(evil))).toMatch(
      /reader rfid\\x1b\]0;owned\\x07 ant 2 -55 dBm x4$/,
    );
  });

  it('with json, prints each payload byte for byte (line breaks as spaces), topic first if asked', () => {
    const lines = new TailLines({ json: true });
    expect(lines.message(TOPIC, PASSAGE)).toBe(PASSAGE.toString('utf8'));
    expect(lines.message(TOPIC, Buffer.from('{\n  "a": 1\n}'))).toBe('{   "a": 1 }');
    expect(new TailLines({ json: true, topic: true }).message(TOPIC, ARRIVAL)).toBe(
      `${TOPIC} ${ARRIVAL.toString('utf8')}`,
    );
  });

  it('keeps only the readers and read points asked for', () => {
    const lines = new TailLines({ json: true, readers: ['rfid-1', 'scanner-1'], readPoints: ['conveyor-1'] });
    expect(lines.message(TOPIC, PASSAGE)).toBe(PASSAGE.toString('utf8'));
    expect(lines.message(TOPIC, EPC_ONLY)).toBeUndefined();
    expect(lines.message('r', json(REJECT))).toBe(JSON.stringify(REJECT));
    expect(lines.message('r', json({ ...REJECT, readPoint: 'dock-2' }))).toBeUndefined();
    expect(lines.message('r', json({ ...REJECT, reader: 'rfid-2' }))).toBeUndefined();
    expect(lines.message('s', Buffer.from('online'))).toBeUndefined();
  });

  it('tells payloads apart by their shape', () => {
    expect(
      [JSON.parse(ARRIVAL.toString()), REJECT, HEALTH, { a: 1 }, 'online', null, []].map(kindOf),
    ).toEqual(['event', 'reject', 'health', 'other', 'other', 'other', 'other']);
  });

  it('has small helpers that do what they say', () => {
    expect(abbreviateHex('00112233', 2)).toBe('0011…');
    expect(abbreviateHex('0011', 2)).toBe('0011');
    expect(clean('ok\u0000\u009b')).toBe('ok\\x00\\x9b');
    expect([0, 59, 60, 187, 3600, 3725, 172_800 + 7200].map(duration)).toEqual([
      '0s',
      '59s',
      '1m00s',
      '3m07s',
      '1h00m',
      '1h02m',
      '2d02h',
    ]);
    const c = new Columns();
    expect(c.line(['a', 'bbb', 'x'])).toBe('a  bbb  x');
    expect(c.line(['aaaa', 'b', 'y'])).toBe('aaaa  b    y');
    expect(c.line(['a', 'b', ''])).toBe('a     b');
  });
});

describe('tail options', () => {
  const url = 'mqtt://127.0.0.1:1883';

  it('subscribes to every gateway by default, or narrows the topic by site, gateway and read point', () => {
    expect(tailOptions({ url })).toEqual({ filters: ['readpoint/v1/+/+/events/+'] });
    expect(
      tailOptions({
        url,
        site: 'site-1',
        gateway: 'gw-1',
        readPoint: ['dock-1,dock-2', 'dock-3', 'dock-1'],
        reader: ['rfid-1'],
        rejects: true,
        health: true,
        json: true,
        count: 5,
      }),
    ).toEqual({
      filters: [
        'readpoint/v1/site-1/gw-1/events/dock-1',
        'readpoint/v1/site-1/gw-1/events/dock-2',
        'readpoint/v1/site-1/gw-1/events/dock-3',
      ],
      rejectsFilter: 'readpoint/v1/site-1/gw-1/rejects',
      healthFilter: 'readpoint/v1/site-1/gw-1/health',
      readers: ['rfid-1'],
      readPoints: ['dock-1', 'dock-2', 'dock-3'],
      json: true,
      count: 5,
    });
    expect(tailOptions({ url, prefix: 'acme/rp/v1', withTopic: true })).toEqual({
      filters: ['acme/rp/v1/+/+/events/+'],
      topic: true,
    });
    expect(tailOptions({ url, topic: 'x/s/g/events/+', rejects: true })).toEqual({
      filters: ['x/s/g/events/+'],
      rejectsFilter: 'x/s/g/rejects',
    });
  });

  it('refuses ids that would reshape the topic, saying what an id may hold', () => {
    const segment =
      "is not a valid id: use the id as written in the gateway's config (letters, digits, . _ -, 1 to 64 characters; no + # / or spaces)";
    expect(tailOptions({ url, readPoint: ['dock/1'] })).toBe(`--read-point "dock/1" ${segment}`);
    expect(tailOptions({ url, readPoint: ['dock-1,#'] })).toBe(`--read-point "#" ${segment}`);
    expect(tailOptions({ url, readPoint: ['+'] })).toBe(`--read-point "+" ${segment}`);
    expect(tailOptions({ url, reader: ['a\u0000b'] })).toBe(`--reader "a\\u0000b" ${segment}`);
    expect(tailOptions({ url, site: 'site 1' })).toBe(`--site "site 1" ${segment}`);
    expect(tailOptions({ url, gateway: '#' })).toBe(`--gateway "#" ${segment}`);
    expect(tailOptions({ url, prefix: 'a/+' })).toBe(`--prefix part "+" ${segment}`);
    expect(tailOptions({ url, topic: 'a/b+/c' })).toBe(
      '--topic "a/b+/c" is not a valid MQTT topic filter: + must be a whole level and # the last level',
    );
    expect(tailOptions({ url: 'localhost:1883' })).toBe(
      '--url "localhost:1883" is not a broker URL: write it as mqtt://HOST:PORT, e.g. mqtt://127.0.0.1:1883 (mqtts:// for TLS)',
    );
    expect(tailOptions({ url, count: Number.NaN })).toBe('--count must be a positive whole number, got NaN');
    expect(tailOptions({ url, dedup: true, overflowTopic: 'a/#/b' })).toBe(
      '--overflow-topic "a/#/b" is not a valid MQTT topic filter: + must be a whole level and # the last level',
    );
  });

  it('refuses combinations that cannot work, and says which option to drop', () => {
    expect(tailOptions({ url, topic: '#', site: 's', readPoint: ['d'] })).toBe(
      '--topic is the whole filter: leave out --site, --read-point or --topic',
    );
    expect(tailOptions({ url, dedup: true, readPoint: ['d'] })).toBe(
      '--read-point and --reader do not go with --dedup: sequence numbers count every event of a gateway, so a filtered stream would show false gaps (narrow with --site and --gateway)',
    );
    expect(tailOptions({ url, dedup: true, rejects: true })).toBe(
      '--rejects and --health do not go with --dedup',
    );
    expect(tailOptions({ url, dedupWindow: '5' })).toBe(
      '--dedup-window and --overflow-topic go with --dedup',
    );
    expect(tailOptions({ url, topic: '#', health: true })).toBe(
      'cannot derive the rejects or health topic from --topic #: use --site and --gateway instead',
    );
  });
});
