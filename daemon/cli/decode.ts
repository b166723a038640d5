import { isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import { decodeText, MAX_TYPED_LENGTH, typedBytes } from '../identity/decode.js';
import type { DecodeResult, ReaderFormat } from '../identity/identity.js';
import { boundedLines } from './decode-lines.js';

export interface DecodeOptions {
  /** The data format to decode as (overrides the reader's). */
  readonly readerFormat?: ReaderFormat['data'];
  /** Decode exactly as this reader of `config` would: its patterns, GS and EPC options. */
  readonly config?: string;
  readonly reader?: string;
}

/**
 * `readpoint decode`: one JSON object per input, the argument or each line of stdin (bytes read
 * as Latin-1, so a raw GS in a captured file stays one byte). A decoded line prints the identity;
 * a rejected one prints `{"input", "error": {"code", "message"}}`; a line of stdin longer than a
 * read may be written out (MAX_TYPED_LENGTH) prints `{"line", "length", "error"}` and is skipped
 * as it streams past, never held whole. Exit 0 when every input
 * decoded, 1 when any did not (with a one-line reason on stderr for a single argument, and a
 * summary by reject code for stdin); wrong options are a usage error (`usageError`: exit 64, as
 * for every command).
 */
export async function decodeCommand(
  input: string | undefined,
  options: DecodeOptions,
  usageError: (message: string) => never,
): Promise<number> {
  const format = await formatFor(options);
  if (typeof format === 'string') return usageError(format);
  const print = (line: string, result: DecodeResult) =>
    write(result.ok ? result.identity : { input: typedForm(typedBytes(line)), error: result.reject });
  if (input !== undefined) {
    // The shell hands the argument over as UTF-8: decode its bytes, not its characters.
    const line = Buffer.from(input, 'utf8').toString('latin1');
    const result = decodeText(line, format);
    await print(line, result);
    if (!result.ok) process.stderr.write(`invalid: ${result.reject.code}: ${result.reject.message}\n`);
    await flushed();
    return result.ok ? 0 : 1;
  }
  let decoded = 0;
  const rejected = new Map<string, number>();
  const count = (code: string) => rejected.set(code, (rejected.get(code) ?? 0) + 1);
  for await (const line of boundedLines(process.stdin, MAX_TYPED_LENGTH)) {
    if (line.kind === 'overlong') {
      const message = `line ${line.number} is ${line.length} bytes, longer than the ${MAX_TYPED_LENGTH} a line may be; skipped`;
      await write({ line: line.number, length: line.length, error: { code: 'overlong', message } });
      count('overlong');
      continue;
    }
    const result = decodeText(line.text, format);
    await print(line.text, result);
    if (result.ok) decoded++;
    else count(result.reject.code);
  }
  const failed = [...rejected.values()].reduce((a, b) => a + b, 0);
  const byCode = [...rejected].map(([code, n]) => `${code} ${n}`).join(', ');
  process.stderr.write(`${decoded} decoded, ${failed} rejected${failed > 0 ? ` (${byCode})` : ''}\n`);
  await flushed();
  return failed > 0 ? 1 : 0;
}

/** Resolves once stdout has written everything before it: the process exits right after. */
const flushed = () => new Promise<void>((resolve) => process.stdout.write('', () => resolve()));

/** One JSON line on stdout, waiting while the pipe is full: the output of a large input stays bounded. */
async function write(value: unknown): Promise<void> {
  if (!process.stdout.write(`${JSON.stringify(value)}\n`)) await once(process.stdout, 'drain');
}

/**
 * The bytes of a line as the technician would type them again (decodeText's escapes): UTF-8 text
 * as it is, a backslash as `\\`, control bytes and the bytes of characters that display as other
 * text (C1 controls, bidi overrides: unsafe-text.ts) as `\xNN`, and every byte from 0x80 as
 * `\xNN` when the line is not UTF-8.
 */
export function typedForm(bytes: Buffer): string {
  const utf8 = isUtf8(bytes);
  const hex = (c: string) =>
    [...Buffer.from(c, utf8 ? 'utf8' : 'latin1')]
      .map((b) => `\\x${b.toString(16).padStart(2, '0')}`)
      .join('');
  return (utf8 ? bytes.toString('utf8') : bytes.toString('latin1')).replace(
    utf8 ? /[\x00-\x1f\x7f-\x9f\\\p{Cf}\u2028\u2029]/gu : /[\x00-\x1f\x7f-\xff\\]/g,
    (c) => (c === '\\' ? '\\\\' : hex(c)),
  );
}

async function formatFor(options: DecodeOptions): Promise<Partial<ReaderFormat> | string> {
  const override = options.readerFormat ? { data: options.readerFormat } : {};
  if (options.reader === undefined && options.config === undefined) return override;
  if (options.reader === undefined || options.config === undefined) {
    return 'readpoint decode: --reader and --config go together (decode as that reader of that config would)';
  }
  // The config loader (the schema and its validator) loads only when a config is given.
  const { ConfigError, formatProblem, loadConfig } = await import('../../config/load.js');
  try {
    const config = await loadConfig(options.config);
    const reader = config.readers.find((r) => r.id === options.reader);
    if (!reader) {
      const ids = config.readers.map((r) => r.id).join(', ');
      return `readpoint decode: ${options.config} has no reader "${options.reader}" (its readers: ${ids})`;
    }
    return { ...reader.format, ...override };
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem).join('\n');
    throw err;
  }
}
