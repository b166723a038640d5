/**
 * Reads a file the configuration names (the configuration itself, a password file, a TLS file)
 * with a bound: a larger file, or a device or pipe that never ends (`/dev/zero`), is refused
 * once the bound is passed, never read into memory whole.
 */
import { open } from 'node:fs/promises';

/** The file's bytes; throws `TooLarge` when it holds more than `maxBytes`. */
export async function readBounded(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new TooLarge(`${size} bytes`, maxBytes);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new TooLarge(`more than ${maxBytes} bytes`, maxBytes);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** A file past its bound: `size` says what was seen (`3000 bytes`, `more than 4096 bytes`). */
export class TooLarge extends Error {
  constructor(
    readonly size: string,
    readonly maxBytes: number,
  ) {
    super(`it is ${size}, more than the ${maxBytes} bytes it may be`);
    this.name = 'TooLarge';
  }
}
