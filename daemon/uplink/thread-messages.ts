/**
 * What the threaded uplink (threaded-uplink.ts) and its worker thread (uplink-thread.ts) say to
 * each other. Publishes go over in batches, one message per turn of the event loop, and their
 * PUBACKs and rejections come back the same way: a message per event would cost more than the
 * thread saves.
 */
import type { UplinkOptions } from './mqtt-uplink.js';
import type { UplinkStatus, UplinkSubscription } from './uplink.js';

/** The thread's uplink options: everything but an in-process stream, which cannot cross threads. */
export type ThreadUplinkOptions = Omit<UplinkOptions, 'stream'>;

/** Handed to the thread as its workerData (secrets included: never logged). */
export interface ThreadData {
  readonly options: ThreadUplinkOptions;
}

export type ToThread =
  | { readonly t: 'start' }
  /** Publishes, index by index: the main thread's sequence number, the topic, the payload. */
  | {
      readonly t: 'publish';
      readonly seqs: number[];
      readonly topics: string[];
      readonly payloads: (string | Uint8Array)[];
    }
  | {
      readonly t: 'status';
      readonly topic: string;
      readonly payload: string | Uint8Array;
      readonly retain: boolean;
    }
  /** The uplink's subscriptions from now on (the whole list). */
  | { readonly t: 'listen'; readonly subscriptions: readonly UplinkSubscription[] }
  | {
      readonly t: 'reply';
      readonly topic: string;
      readonly payload: string;
      readonly correlationData?: Uint8Array;
    }
  | { readonly t: 'stop' };

export type FromThread =
  /** start() settled: `error` when it threw (an unreadable TLS file). */
  | { readonly t: 'started'; readonly error?: string }
  | { readonly t: 'state'; readonly status: UplinkStatus }
  | { readonly t: 'up' }
  /**
   * Publishes settled since the last message: `acks` by sequence number; `fails` as triples of
   * sequence number, error name and message. `down`: the connection was lost (after these).
   * `rttMs` as the thread's status() has it.
   */
  | {
      readonly t: 'settled';
      readonly acks: number[];
      readonly fails: (number | string)[];
      readonly down: boolean;
      readonly rttMs?: number;
    }
  /** One JSON log line of the thread's uplink, to be written by the daemon's own logger. */
  | { readonly t: 'log'; readonly line: string }
  /** A message received on a subscription, in the order received. */
  | {
      readonly t: 'inbound';
      readonly topic: string;
      readonly payload: Uint8Array;
      readonly retain: boolean;
      readonly responseTopic?: string;
      readonly correlationData?: Uint8Array;
    }
  /** A message over every subscription's bound, dropped in the thread. */
  | { readonly t: 'tooLarge'; readonly topic: string; readonly bytes: number }
  /** stop() finished; everything pending was settled before this. */
  | { readonly t: 'stopped' };
