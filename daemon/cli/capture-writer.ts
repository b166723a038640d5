/**
 * A capture file being written by `readpoint record`: the header, the read lines as they come
 * (waiting when the disk is slower than the reader, so memory stays bounded), and the end line,
 * which tells a complete capture from one cut off. Stops taking lines at `maxBytes`.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import {
  type CaptureEnd,
  type CaptureEndReason,
  type CaptureHeader,
  endLine,
} from '../capture/capture-format.js';

export class CaptureWriter {
  private readonly stream: WriteStream;
  private written = 0;
  private reads = 0;
  private lastM = 0;
  private failure: Error | undefined;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (err) => {
      this.failure = err;
    });
  }

  /** The reads written so far. */
  get count(): number {
    return this.reads;
  }

  /** The file has reached its size limit: no more lines are taken. */
  get full(): boolean {
    return this.written >= this.maxBytes;
  }

  /** The monotonic offset of the last read written. */
  get lastMono(): number {
    return this.lastM;
  }

  async header(header: CaptureHeader): Promise<void> {
    await this.put(`${JSON.stringify(header)}\n`);
  }

  /** Writes read lines (as capture-format.ts makes them); false once the size limit is reached. */
  async readLines(lines: readonly string[]): Promise<boolean> {
    let chunk = '';
    for (const line of lines) {
      if (this.written + chunk.length >= this.maxBytes) break;
      chunk += `${line}\n`;
      this.reads++;
    }
    if (chunk.length > 0) {
      this.noteMono(chunk);
      await this.put(chunk);
    }
    return !this.full;
  }

  /** Writes the end line and closes the file. */
  async end(reason: CaptureEndReason, dropped: number, endMono: number): Promise<CaptureEnd> {
    const end: CaptureEnd = {
      end: reason,
      reads: this.reads,
      dropped,
      endedAt: new Date().toISOString(),
      m: Math.max(endMono, this.lastM),
    };
    await this.put(`${endLine(end)}\n`);
    this.stream.end();
    await once(this.stream, 'close');
    if (this.failure) throw this.failure;
    return end;
  }

  /** The `m` of the last line of `chunk`. */
  private noteMono(chunk: string): void {
    const start = chunk.lastIndexOf('\n', chunk.length - 2) + 1;
    const m = /"m":(-?[0-9.e+-]+)/.exec(chunk.slice(start));
    if (m) this.lastM = Number(m[1]);
  }

  private async put(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    this.written += Buffer.byteLength(text);
    if (!this.stream.write(text)) await once(this.stream, 'drain');
    if (this.failure) throw this.failure;
  }
}
