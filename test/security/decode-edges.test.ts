/**
 * Hostile input to the decoder: megabyte lines piped into `readpoint decode` (a captured file, a
 * fuzzer, a log turned into input), megabyte reads handed to the identity decoder, and text that
 * displays as something else (C1 controls, bidi overrides).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedLines, type InputLine } from '../../daemon/cli/decode-lines.js';
import { decodeRead, decodeText, MAX_READ_BYTES, MAX_TYPED_LENGTH } from '../../daemon/identity/decode.js';
import { cliPath, type DaemonProcess, startDaemon } from '../support/daemon.js';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.js';
import { type Collector, collect } from '../support/mqtt-collector.js';
import { openPty, type Pty } from '../support/pty.js';

const GOOD_EPC = '3074257BF7194E4000001A85';
const GOOD_URI = 'urn:epc:id:sgtin:0614141.812345.6789';

interface Run {
  code: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

/** `readpoint decode` with `input` streamed into its stdin chunk by chunk, as a pipe delivers it. */
async function decode(chunks: Iterable<Buffer>, args: string[] = [], nodeArgs: string[] = []): Promise<Run> {
  const child = spawn(process.execPath, [...nodeArgs, cliPath, 'decode', ...args], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = once(child, 'exit');
  child.stdin.on('error', () => {}); // a child that died early is what the assertions report
  for (const chunk of chunks) {
    if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain'), exited]);
    if (child.exitCode !== null || child.signalCode !== null) break;
  }
  child.stdin.end();
  const [code] = (await exited) as [number | null];
  await new Promise((resolve) => setImmediate(resolve));
  const lines = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { unparsable: l.slice(0, 80), length: l.length };
      }
    });
  return { code, lines, stderr };
}

/** `length` bytes of `unit` repeated, in 64 KiB chunks, without ever holding them together. */
function* repeated(unit: string, length: number): Generator<Buffer> {
  const block = Buffer.from(unit.repeat(Math.ceil(65536 / unit.length)).slice(0, 65536), 'latin1');
  for (let left = length; left > 0; left -= block.length)
    yield block.subarray(0, Math.min(left, block.length));
}

describe('readpoint decode with a huge line', () => {
  it('reports a 5 MB hex line by its number and length and decodes the line after it', async () => {
    const r = await decode([...repeated('30', 5_000_000), Buffer.from(`\n${GOOD_EPC}\n`)]);
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toEqual({
      line: 1,
      length: 5_000_000,
      error: {
        code: 'overlong',
        message: `line 1 is 5000000 bytes, longer than the ${MAX_TYPED_LENGTH} a line may be; skipped`,
      },
    });
    expect(r.lines[1]?.uri).toBe(GOOD_URI);
    expect(r.stderr).toBe('1 decoded, 1 rejected (overlong 1)\n');
    expect(r.code).toBe(1);
  });

  it('streams a line far past the limit through a small heap, and every line around it is decoded', async () => {
    // 48 MB in one line with a 24 MB old generation: buffering the line whole cannot fit.
    const big = 48 * 1024 * 1024;
    const r = await decode(
      [Buffer.from(`${GOOD_EPC}\r\n`), ...repeated('ab', big), Buffer.from(`\r\n${GOOD_EPC}\r${GOOD_EPC}`)],
      [],
      ['--max-old-space-size=24'],
    );
    expect(r.lines.map((l) => l.uri ?? (l.error as { code: string } | undefined)?.code)).toEqual([
      GOOD_URI,
      'overlong',
      GOOD_URI,
      GOOD_URI,
    ]);
    expect(r.lines[1]).toMatchObject({ line: 2, length: big });
    expect(r.stderr).toBe('3 decoded, 1 rejected (overlong 1)\n');
    expect(r.code).toBe(1);
  });

  it('takes a line of exactly the limit as a line (then judged by its content)', async () => {
    const r = await decode([...repeated('A', MAX_TYPED_LENGTH), Buffer.from(`\n${GOOD_EPC}\n`)]);
    expect(r.lines.map((l) => (l.error as { code: string } | undefined)?.code ?? l.uri)).toEqual([
      'overlong',
      GOOD_URI,
    ]);
    // The line reached the decoder: its reject names the read, not the line.
    expect(r.lines[0]?.error).toHaveProperty(
      'message',
      `the read is ${MAX_TYPED_LENGTH} bytes, longer than the ${MAX_READ_BYTES} a read may be`,
    );
    expect(r.lines[0]?.input).toHaveLength(MAX_TYPED_LENGTH);
    expect(r.code).toBe(1);
  });
});

describe('the identity decoder with a huge read', () => {
  it('refuses a read past MAX_READ_BYTES before any parsing, whatever its format', () => {
    const hex = Buffer.from('30'.repeat(2_500_000), 'latin1');
    for (const data of ['aim', 'gs1', 'digital-link', 'epc', 'text'] as const) {
      const r = decodeRead({ kind: 'barcode', data: hex }, { data, plainSerial: [] });
      expect(r, data).toEqual({
        ok: false,
        reject: {
          code: 'overlong',
          message: `the read is 5000000 bytes, longer than the ${MAX_READ_BYTES} a read may be`,
        },
      });
    }
    expect(decodeRead({ kind: 'epc', data: Buffer.alloc(MAX_READ_BYTES + 1, 0x30) }).ok).toBe(false);
  });

  it('refuses a typed 5 MB hex line instead of reading its first 96 bits as a tag', () => {
    const r = decodeText('30'.repeat(2_500_000));
    expect(r.ok ? r.identity.uri : r.reject.code).toBe('overlong');
  });
});

describe('boundedLines', () => {
  const lines = async (chunks: string[], max: number) => {
    const out: InputLine[] = [];
    for await (const l of boundedLines(Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))), max))
      out.push(l);
    return out;
  };

  it('splits at LF, CRLF and a lone CR, also across chunks, and keeps empty lines', async () => {
    expect(await lines(['a\r', '\nb\rc\n\nd\r', 'e'], 10)).toEqual([
      { kind: 'line', number: 1, text: 'a' },
      { kind: 'line', number: 2, text: 'b' },
      { kind: 'line', number: 3, text: 'c' },
      { kind: 'line', number: 4, text: '' },
      { kind: 'line', number: 5, text: 'd' },
      { kind: 'line', number: 6, text: 'e' },
    ]);
  });

  it('reports a line over the bound across chunks by its full length, and goes on', async () => {
    expect(await lines(['12345', '67890', '1\nok\n', '\xff'], 10)).toEqual([
      { kind: 'overlong', number: 1, length: 11 },
      { kind: 'line', number: 2, text: 'ok' },
      { kind: 'line', number: 3, text: '\xff' },
    ]);
    expect(await lines(['1234567890', '1'], 10)).toEqual([{ kind: 'overlong', number: 1, length: 11 }]);
  });
});

/** Characters that display as other text, and what each is called in a reject. */
const RLO = '\u202e';
const C1_CSI = '\u009b';
const UNSAFE_SHOWN = /[\u0080-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u001b]/u;
const ANY_SERIAL = [{ pattern: '(?<serial>.+)', uri: 'urn:example:serial:{serial}' }];
const utf8Read = (text: string) => ({ kind: 'barcode' as const, data: Buffer.from(text, 'utf8') });

describe('text that displays as other text', () => {
  it('is no plain serial: a read with a bidi override or a C1 control is rejected as non-printable', () => {
    const cases: [string, string][] = [
      [
        `]C0SN${RLO}4321`,
        `character U+202E (right-to-left override) at position 5: it would display as other text`,
      ],
      [`]C0SN${C1_CSI}4321`, `character U+009B (C1 control) at position 5: it would display as other text`],
      [
        'SN\u2066A\u2069',
        `character U+2066 (left-to-right isolate) at position 2: it would display as other text`,
      ],
      ['SN\u200b1', `character U+200B (zero width space) at position 2: it would display as other text`],
    ];
    for (const [text, message] of cases) {
      for (const data of ['aim', 'text'] as const) {
        const r = decodeRead(utf8Read(text), { data, plainSerial: ANY_SERIAL });
        expect(r, `${JSON.stringify(text)} as ${data}`).toEqual({
          ok: false,
          reject: { code: 'non-printable', message },
        });
      }
    }
    // The same serial without it is a unit.
    const ok = decodeRead(utf8Read(']C0SN4321'), { data: 'aim', plainSerial: ANY_SERIAL });
    expect(ok.ok && ok.identity.serial).toBe('SN4321');
  });

  it('is named, never quoted, in the reject of a read that is no serial at all', () => {
    for (const text of [`]C0SN${RLO}4321`, `SN${RLO}4321`, `]d2010950600013435221AB${C1_CSI}1`]) {
      const r = decodeRead(utf8Read(text), { data: 'aim', plainSerial: [] });
      expect(r.ok ? 'ok' : r.reject.code, JSON.stringify(text)).toBe('non-printable');
      expect(r.ok ? '' : r.reject.message).not.toMatch(UNSAFE_SHOWN);
    }
    // Not UTF-8: the byte 0x9b is a C1 control in Latin-1, as the element string would show it.
    const latin1 = decodeRead({
      kind: 'barcode',
      data: Buffer.from(']d2010950600013435221AB\x9b1', 'latin1'),
    });
    expect(latin1).toEqual({
      ok: false,
      reject: {
        code: 'non-printable',
        message: 'character U+009B (C1 control) at position 23: it would display as other text',
      },
    });
  });

  it('is escaped in a reject that quotes a decoded value (a %-encoded Digital Link serial)', () => {
    const r = decodeRead({
      kind: 'barcode',
      data: Buffer.from(']Q1https://id.gs1.org/01/09506000134352/21/AB%E2%80%AE', 'latin1'),
    });
    expect(r.ok ? 'ok' : r.reject.code).toBe('bad-character');
    expect(r.ok ? '' : r.reject.message).not.toMatch(UNSAFE_SHOWN);
    expect(r.ok ? '' : r.reject.message).toContain('\\u202e');
  });

  describe('readpoint decode', () => {
    let dir: string;
    let config: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'rp-decode-edges-'));
      config = join(dir, 'readpoint.yaml');
      writeFileSync(
        config,
        `gateway: { id: gw-1, site: site-1 }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink: { url: mqtt://127.0.0.1:1 }
readPoints: [{ id: line-1, bizStep: packing }]
readers:
  - id: scanner-1
    driver: serial-line
    path: /dev/null
    readPoint: line-1
    format:
      plainSerial: [{ pattern: "(?<serial>.+)", uri: "urn:example:serial:{serial}" }]
`,
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('rejects such a serial from stdin and from the argument, printing it as typable bytes only', async () => {
      const r = await decode(
        [Buffer.from(`]C0SN${RLO}4321\n]C0SN${C1_CSI}4321\n]C0SN4321\n`, 'utf8')],
        ['--config', config, '--reader', 'scanner-1'],
      );
      expect(r.lines.map((l) => l.input ?? l.serial)).toEqual([
        ']C0SN\\xe2\\x80\\xae4321',
        ']C0SN\\xc2\\x9b4321',
        'SN4321',
      ]);
      expect(r.lines.map((l) => (l.error as { code?: string } | undefined)?.code)).toEqual([
        'non-printable',
        'non-printable',
        undefined,
      ]);
      expect(r.code).toBe(1);
      const arg = spawnSync(
        process.execPath,
        [cliPath, 'decode', '--config', config, '--reader', 'scanner-1', `]C0SN${RLO}4321`],
        { encoding: 'utf8' },
      );
      expect(arg.stdout).not.toMatch(UNSAFE_SHOWN);
      expect(arg.stderr).toBe(
        'invalid: non-printable: character U+202E (right-to-left override) at position 5: it would display as other text\n',
      );
      expect(arg.status).toBe(1);
    });
  });

  describe('in the daemon and in tail', () => {
    let dir: string;
    let mosquitto: Mosquitto;
    let pty: Pty;
    let daemon: DaemonProcess;
    let seen: Collector;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rp-text-edges-'));
      mosquitto = await startMosquitto();
      pty = await openPty(dir, 'scanner-1');
      const config = join(dir, 'readpoint.yaml');
      writeFileSync(
        config,
        `gateway: { id: gw-1, site: site-1 }
dataDir: ${join(dir, 'data')}
broker: { enabled: false }
uplink:
  url: ${mosquitto.url}
  retry: { minMs: 100, maxMs: 1000 }
readPoints: [{ id: line-1, bizStep: packing }]
readers:
  - id: scanner-1
    driver: serial-line
    path: ${pty.readerPath}
    readPoint: line-1
    format:
      plainSerial: [{ pattern: "(?<serial>.+)", uri: "urn:example:serial:{serial}" }]
`,
      );
      seen = await collect(mosquitto.url, 'readpoint/v1/site-1/gw-1/+/#');
      daemon = startDaemon(config);
      await daemon.waitForLog(
        (l) => l.msg === 'reader state' && l.reader === 'scanner-1' && l.state === 'connected',
      );
    });
    afterAll(async () => {
      await daemon?.kill('SIGKILL');
      await seen?.close();
      await pty?.close();
      await mosquitto?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('publishes no event for a serial with a bidi override or a C1 control: a non-printable reject, escaped', async () => {
      await pty.write(Buffer.from(`]C0SN${RLO}4321\r]C0SN${C1_CSI}4321\r]C0SN4321\r`, 'utf8'));
      const events = () => seen.messages.filter((m) => m.topic.includes('/events/'));
      const rejects = () => seen.messages.filter((m) => m.topic.endsWith('/rejects'));
      while (events().length < 1 || rejects().length < 2)
        await seen.waitFor(seen.messages.length + 1, 20_000);
      expect(events().map((m) => JSON.parse(m.payload.toString('utf8')).epcList)).toEqual([
        ['urn:example:serial:SN4321'],
      ]);
      const payloads = rejects().map((m) => m.payload.toString('utf8'));
      expect(payloads.map((p) => JSON.parse(p).code)).toEqual(['non-printable', 'non-printable']);
      expect(payloads.map((p) => JSON.parse(p).message)).toEqual([
        'character U+202E (right-to-left override) at position 5: it would display as other text',
        'character U+009B (C1 control) at position 5: it would display as other text',
      ]);
      for (const p of payloads) expect(JSON.parse(p).message).not.toMatch(UNSAFE_SHOWN);
      // The log writes the first reject of a code at once and counts the rest (rejects.logIntervalS).
      const logged = daemon.logs.filter((l) => l.msg === 'read rejected');
      expect(logged.map((l) => l.code)).toEqual(['non-printable']);
      for (const l of logged) expect(JSON.stringify(l.reason)).not.toMatch(UNSAFE_SHOWN);
    });

    it('tail escapes what a forged payload holds, in its lines and in --json', async () => {
      const forged = {
        type: 'ObjectEvent',
        eventTime: '2026-01-01T00:00:00.000Z',
        epcList: [`urn:example:serial:SN${RLO}4321`],
        'rp:readPoint': `line-1${C1_CSI}2J`,
        'rp:reader': `scanner-1\u001b[2J`,
        'rp:transition': 'arrival',
      };
      const client = await mqtt.connectAsync(mosquitto.url);
      await client.publishAsync('forged/events/line-1', JSON.stringify(forged), { qos: 1, retain: true });
      await client.endAsync();
      for (const extra of [[], ['--json']]) {
        const r = spawnSync(
          process.execPath,
          [cliPath, 'tail', '--url', mosquitto.url, '-t', 'forged/#', '-n', '1', ...extra],
          { encoding: 'utf8', timeout: 20_000 },
        );
        expect(r.status, extra.join(' ')).toBe(0);
        expect(r.stdout, extra.join(' ')).toContain('SN');
        expect(r.stdout, extra.join(' ')).not.toMatch(UNSAFE_SHOWN);
        if (extra.length > 0) expect(JSON.parse(r.stdout)).toEqual(forged);
      }
    });
  });
});
