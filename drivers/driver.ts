/**
 * The driver seam: a reader (scanner, RFID module, simulator) turns bytes into raw reads.
 *
 * Contract, shared by every driver and checked by test/drivers/driver.contract.ts:
 * - The constructor only assigns. `start(sink)` begins reading and resolves once the driver is
 *   running, even when the device is absent: a missing or unplugged device is not an error of
 *   `start`, it is the `disconnected` state, and the driver retries by itself with backoff
 *   (`retry.minMs` doubling up to `retry.maxMs`, with jitter) until `stop()`.
 * - Every framed read is handed to `sink.read()` in the order it was received, with at most
 *   `HANDOVER_WINDOW` (drivers/handover.ts) calls pending: the sink takes each read in call order
 *   before its promise settles, so reads share group commits and keep their order; when the
 *   window is full the driver stops pulling bytes from the device (a slow outbox slows the reader
 *   down instead of growing memory). A rejected `sink.read()` is logged and does not stop it.
 * - Input that cannot be framed (a line longer than `maxReadLength`, a malformed binary frame)
 *   goes to `sink.reject()` with the raw bytes (at most `maxReadLength` of them) and a reason;
 *   the driver resynchronises on the next delimiter and its memory stays bounded. Empty frames
 *   are ignored; a frame of odd bytes is still a read (the decoder rejects it with a reason).
 * - `stop()` closes the device and resolves when the driver holds no handle and no timer. A read
 *   still being framed at `stop()` (bytes with no delimiter yet) is dropped and counted in
 *   `status().discardedOnStop`; a `sink.read()` already pending is awaited first.
 *   `stop()` may be called in any state, twice, or before `start()`; it ends in `stopped`, and a
 *   stopped driver stays stopped (a later `start()` resolves and does nothing).
 * - A disconnect is any loss of the device: the port closing on its own, a read or open error,
 *   the device node vanishing. Each one moves the state to `disconnected` and emits `state`;
 *   failed retries keep it `disconnected` without a new event, so the log is not flooded.
 * - `status()` is cheap and synchronous; `state` events are for status only, never data.
 */
import type { EventEmitter } from 'node:events';

/** What kind of payload a read carries: the identity decoder picks its rules from it. */
export type ReadKind = 'barcode' | 'epc';

/** One raw read, as framed by a driver, before it is decoded into a unit identity. */
export interface RawRead {
  /** Configured id of the reader that produced it. */
  readonly readerId: string;
  readonly kind: ReadKind;
  /** The frame's bytes without its delimiter: a barcode line (AIM id included), or EPC bytes. */
  readonly data: Buffer;
  /** Wall-clock time the frame completed, ms since the epoch. */
  readonly at: number;
  /** Monotonic time the frame completed (performance.now() ms): smoothing uses this. */
  readonly mono: number;
  /** Antenna port (RFID), 1-based. */
  readonly antenna?: number;
  /** Peak RSSI in dBm (RFID). */
  readonly rssi?: number;
  /** The tag's PC word, when the reader reports it (RFID). */
  readonly pc?: number;
}

/** Bytes that could not be framed into a read. */
export interface RawReject {
  readonly readerId: string;
  /** Machine-readable reason: `overlong`, `garbage`, `bad-frame`, ... */
  readonly code: string;
  readonly message: string;
  /** The offending bytes (bounded: at most the driver's maximum read length). */
  readonly data: Buffer;
  readonly at: number;
}

/** Where a driver hands its output. Implemented by the gateway's pipeline. */
export interface ReadSink {
  /**
   * Resolves once the read is safe (decoded, and accepted by the outbox or rejected). Takes the
   * read in call order synchronously, before its first await, so concurrent calls keep order.
   * Several reads may be answered with the same promise (the pipeline's reads that share a group
   * commit are): it then resolves once every one of them is safe.
   */
  read(read: RawRead): Promise<void>;
  reject(reject: RawReject): void;
}

export type ReaderState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface ReaderStatus {
  readonly id: string;
  readonly driver: string;
  readonly state: ReaderState;
  /** Human-readable reason of the last disconnect or open failure. */
  readonly lastError?: string;
  readonly reads: number;
  readonly rejects: number;
  readonly reconnects: number;
  /** Wall-clock ms of the last read, if any. */
  readonly lastReadAt?: number;
  readonly discardedOnStop: number;
}

export interface Driver extends Pick<EventEmitter, 'on' | 'off' | 'once'> {
  readonly id: string;
  start(sink: ReadSink): Promise<void>;
  stop(): Promise<void>;
  status(): ReaderStatus;
  // emits: 'state' (status: ReaderStatus)
}
