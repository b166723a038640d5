/**
 * Hostile input to the decoder: megabyte lines piped into `readpoint decode` (a captured file, a
 * fuzzer, a log turned into input), megabyte reads handed to the identity decoder, and text that
 * displays as something else (C1 controls, bidi overrides).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boundedLines, type InputLine } from '../../daemon/cli/decode-lines.js';
import { decodeRead, decodeText, MAX_READ_BYTES, MAX_TYPED_LENGTH } from '../../daemon/identity/decode.js';
import { cliPath } from '../support/daemon.js';

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
