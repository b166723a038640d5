/** Passwords of the broker's logins: read from the config or a file, compared in constant time. */
import { timingSafeEqual } from 'node:crypto';
import { readBounded } from '../../config/bounded-read.js';

/** A password file holds one password: anything longer is not one. */
export const MAX_PASSWORD_FILE_BYTES = 4096;

/** A login's password: from the config, or the file's content without one trailing line break. */
export async function secret(login: {
  readonly password?: string;
  readonly passwordFile?: string;
}): Promise<Buffer> {
  if ((login.password === undefined) === (login.passwordFile === undefined))
    throw new Error('set exactly one of password and passwordFile');
  if (login.password !== undefined) return Buffer.from(login.password, 'utf8');
  const file = login.passwordFile!;
  let text: string;
  try {
    text = (await readBounded(file, MAX_PASSWORD_FILE_BYTES)).toString('utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`cannot read passwordFile ${file}: ${why}`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new Error(`passwordFile ${file} is empty`);
  return Buffer.from(password, 'utf8');
}

/** Constant-time comparison, so the time to refuse does not reveal how much of a secret matched. */
export function sameSecret(
  given: string | Buffer | undefined,
  expected: string | Buffer | undefined,
): boolean {
  if (expected === undefined) return given === undefined;
  const a = typeof given === 'string' ? Buffer.from(given, 'utf8') : (given ?? Buffer.alloc(0));
  const b = typeof expected === 'string' ? Buffer.from(expected, 'utf8') : expected;
  // Compare equal lengths always; a length mismatch still costs one full comparison.
  return timingSafeEqual(a.length === b.length ? a : b, b) && a.length === b.length && given !== undefined;
}
