import { createInterface } from 'node:readline';
import { decodeText } from '../identity/decode.js';
import type { ReaderFormat } from '../identity/identity.js';

/**
 * `readpoint decode`: one JSON object per input (the argument, or each line of stdin).
 * Exit 0 when every input decoded, 1 when any did not (the reason is in its JSON line and, for a
 * single argument, on stderr).
 */
export async function decodeCommand(
  input: string | undefined,
  format: Partial<ReaderFormat>,
): Promise<number> {
  if (input !== undefined) {
    const result = decodeText(input, format);
    process.stdout.write(`${JSON.stringify(result.ok ? result.identity : { error: result.reject })}\n`);
    if (!result.ok) process.stderr.write(`invalid: ${result.reject.code}: ${result.reject.message}\n`);
    return result.ok ? 0 : 1;
  }
  let failed = 0;
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const result = decodeText(line, format);
    if (!result.ok) failed++;
    process.stdout.write(
      `${JSON.stringify(result.ok ? result.identity : { input: line, error: result.reject })}\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}
