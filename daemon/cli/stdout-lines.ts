/** A command's output lines on stdout, without holding them in memory when the reader is slow. */
import { once } from 'node:events';

/** Lines to stdout, waited on when the pipe is full: a long replay's output stays bounded. */
export class Output {
  /** The pipe is full: wait for `drained()` before more. */
  full = false;

  write(line: string): void {
    if (!process.stdout.write(`${line}\n`)) this.full = true;
  }

  async drained(): Promise<void> {
    if (!this.full) return;
    this.full = false;
    await once(process.stdout, 'drain');
  }

  flushed(): Promise<void> {
    return new Promise((resolve) => process.stdout.write('', () => resolve()));
  }
}
