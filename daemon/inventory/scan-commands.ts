/**
 * The scan commands seam: barcodes that are instructions rather than units, taken before they are
 * decoded: a pack station's close code, a transaction barcode read by a context scanner.
 *
 * Contract:
 * - Each barcode read (before a multi-read is split, before decoding) is offered to the handlers
 *   in the order they were added; the first that returns true takes it: the read makes no event,
 *   is not a reject and counts as a read (`commands` in the pipeline's counters).
 * - A handler runs on the read path: it decides from the bytes and the reader at once (no I/O
 *   before returning) and does not throw; slow work it starts is its own to finish and report.
 * - Handlers see the raw bytes as untrusted input.
 */

/** One barcode read as scan commands see it. */
export interface ScanCommand {
  readonly readerId: string;
  /** The reader's read point. */
  readonly readPointId: string;
  readonly data: Buffer;
  /** Wall-clock ms of the read. */
  readonly at: number;
}

export type ScanCommandHandler = (scan: ScanCommand) => boolean;

/** The handlers of the running features, asked in order. */
export class ScanCommands {
  private handlers: readonly ScanCommandHandler[] = [];

  add(handler: ScanCommandHandler): () => void {
    this.handlers = [...this.handlers, handler];
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /** True when no handler is added (the pipeline then skips the offer). */
  get empty(): boolean {
    return this.handlers.length === 0;
  }

  /** Offers a scan; true when a handler took it. */
  take(scan: ScanCommand): boolean {
    for (const handler of this.handlers) if (handler(scan)) return true;
    return false;
  }
}
