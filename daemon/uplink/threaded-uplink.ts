/**
 * The uplink with MQTT.js on a worker thread (see uplink.ts for the contract): the main thread
 * keeps the contract's bookkeeping (state, the in-flight window, the promises the dispatcher
 * awaits) and hands the thread one batch of publishes per turn of its event loop; the thread runs
 * an MqttUplink (uplink-thread.ts) and sends PUBACKs and rejections back in batches.
 *
 * A thread that dies loses nothing: every pending publish rejects with `UplinkDisconnectedError`
 * (the caller republishes after the next `up`, as after a lost connection), `down` is emitted if
 * it was connected, and a new thread is started with backoff. The embedded broker's in-process
 * stream cannot cross threads: that upstream keeps the main-thread MqttUplink.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { LogFn } from 'pino';
import { Backoff } from '../backoff.js';
import type { Logger } from '../log.js';
import { passwordIn } from './client-options.js';
import { redactSecrets, redactUrl } from './redact.js';
import type { FromThread, ThreadData, ThreadUplinkOptions, ToThread } from './thread-messages.js';
import {
  type InboundSink,
  type Uplink,
  UplinkClosedError,
  UplinkDisconnectedError,
  type UplinkState,
  type UplinkStatus,
  type UplinkSubscription,
} from './uplink.js';

/** A publish awaiting its PUBACK, or a start() awaiting the thread's first connection attempt. */
interface Pending {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * The thread's heap: it holds at most the in-flight window, so a small one will do. V8's default
 * young generation alone would add tens of MB of RSS to the daemon. A thread that outgrows it
 * ends like one that failed: restarted, its publishes sent again.
 */
const THREAD_HEAP = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

const NOT_CONNECTED: UplinkStatus = { state: 'disconnected', url: '', connects: 0, inflight: 0 };

/**
 * The thread's entry, built beside this file. A thread runs plain JavaScript: run from the
 * TypeScript sources (the tests), this file takes the build's (`npm run build`).
 */
export const UPLINK_THREAD_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/daemon/uplink/uplink-thread.js', import.meta.url)
  : new URL('./uplink-thread.js', import.meta.url);

export class ThreadedUplink extends EventEmitter implements Uplink {
  private worker: Worker | undefined;
  private state: UplinkState = 'disconnected';
  private started = false;
  /** The current thread's own status (its connects count from 0). */
  private remote: UplinkStatus = NOT_CONNECTED;
  /** Connections made by threads that have died. */
  private earlierConnects = 0;
  private lastError: string | undefined;
  private rttMs: number | undefined;
  private readonly pending = new Map<number, (err?: Error) => void>();
  private nextSeq = 0;
  private batch: { seqs: number[]; topics: string[]; payloads: (string | Uint8Array)[] } | undefined;
  private readonly backoff: Backoff;
  private restartTimer: NodeJS.Timeout | undefined;
  private starting: Pending | undefined;
  /** Why the current thread failed (its `error` event comes before its `exit`). */
  private failure: string | undefined;
  private stopped: (() => void) | undefined;
  private readonly flushBatch = () => this.flush();
  private subscriptions: readonly UplinkSubscription[] = [];
  private sink: InboundSink | undefined;

  constructor(
    private readonly options: ThreadUplinkOptions,
    private readonly log: Logger,
    /** The thread's entry: the built uplink-thread.js (tests hand in their own). */
    private readonly entry: URL = UPLINK_THREAD_ENTRY,
  ) {
    super();
    this.backoff = new Backoff(options.retry);
  }

  /** Resolves after the thread's first connection attempt; throws only on unreadable TLS files. */
  async start(): Promise<void> {
    if (this.started || this.state === 'stopped') throw new Error('uplink already started or stopped');
    this.started = true;
    const attempted = new Promise<void>((resolve, reject) => {
      this.starting = { resolve, reject };
    });
    this.spawn();
    await attempted;
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.setState('stopped');
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.batch = undefined; // never handed over: rejected below
    const worker = this.worker;
    if (worker) {
      // The thread says `offline`, closes and settles what it has; its log lines come first.
      await new Promise<void>((resolve) => {
        this.stopped = resolve;
        worker.postMessage({ t: 'stop' } satisfies ToThread);
      });
      this.worker = undefined;
      await worker.terminate();
    } else {
      this.log.info('uplink stopped');
    }
    this.rejectAll(new UplinkClosedError('uplink stopped'));
    this.settleStart();
  }

  publish(topic: string, payload: string | Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.send(topic, payload, (err) => (err ? reject(err) : resolve())),
    );
  }

  send(topic: string, payload: string | Buffer, settled: (err?: Error) => void): void {
    let refused: Error | undefined;
    if (this.state === 'stopped') refused = new UplinkClosedError('uplink stopped');
    else if (this.state !== 'connected') refused = new UplinkDisconnectedError(`uplink is ${this.state}`);
    else if (this.pending.size >= this.options.inflight)
      refused = new Error(`uplink in-flight window full (${this.options.inflight})`);
    if (refused) {
      settled(refused);
      return;
    }
    const seq = ++this.nextSeq;
    if (!this.batch) {
      this.batch = { seqs: [], topics: [], payloads: [] };
      setImmediate(this.flushBatch);
    }
    this.batch.seqs.push(seq);
    this.batch.topics.push(topic);
    this.batch.payloads.push(bytesOf(payload));
    this.pending.set(seq, settled);
  }

  publishStatus(topic: string, payload: string | Buffer, retain = false): void {
    if (this.state !== 'connected') return;
    this.worker?.postMessage({ t: 'status', topic, payload: bytesOf(payload), retain } satisfies ToThread);
  }

  canPublish(): boolean {
    return this.state === 'connected' && this.pending.size < this.options.inflight;
  }

  listen(subscriptions: readonly UplinkSubscription[], sink: InboundSink): void {
    this.subscriptions = [...subscriptions];
    this.sink = sink;
    this.worker?.postMessage({ t: 'listen', subscriptions: this.subscriptions } satisfies ToThread);
  }

  reply(topic: string, payload: string, correlationData?: Buffer): boolean {
    const worker = this.worker;
    if (this.state !== 'connected' || !worker) return false;
    worker.postMessage({
      t: 'reply',
      topic,
      payload,
      ...(correlationData ? { correlationData: new Uint8Array(correlationData) } : {}),
    } satisfies ToThread);
    return true;
  }

  status(): UplinkStatus {
    const lastError = this.remote.lastError ?? this.lastError;
    return {
      state: this.state,
      // The node the thread is on, once it has said.
      url: this.remote.url || redactUrl(this.options.url),
      ...(this.remote.node !== undefined ? { node: this.remote.node } : {}),
      ...(this.remote.nodeSwitches !== undefined ? { nodeSwitches: this.remote.nodeSwitches } : {}),
      connects: this.earlierConnects + this.remote.connects,
      inflight: this.pending.size,
      ...(lastError !== undefined ? { lastError } : {}),
      ...(this.rttMs !== undefined ? { rttMs: this.rttMs } : {}),
    };
  }

  private spawn(): void {
    this.restartTimer = undefined;
    if (this.state === 'stopped') return;
    this.failure = undefined;
    const data: ThreadData = { options: this.options };
    const worker = new Worker(this.entry, { workerData: data, resourceLimits: THREAD_HEAP });
    this.worker = worker;
    worker.on('message', (message: FromThread) => this.onMessage(worker, message));
    worker.on('error', (err) => {
      // Whatever the thread threw, it may quote its options: no password reaches status or logs.
      this.failure = redactSecrets(err.message, [this.options.password, passwordIn(this.options.url)]);
    });
    worker.on('exit', (code) => this.onExit(worker, code));
    // A new thread subscribes like the one before it, from its first connection.
    worker.postMessage({ t: 'listen', subscriptions: this.subscriptions } satisfies ToThread);
    worker.postMessage({ t: 'start' } satisfies ToThread);
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = undefined;
    if (!batch) return;
    if (this.worker) {
      this.worker.postMessage({ t: 'publish', ...batch } satisfies ToThread);
      return;
    }
    // The thread died after these were taken: they go back to the caller like a lost connection.
    for (const seq of batch.seqs) this.settle(seq, new UplinkDisconnectedError('uplink thread restarting'));
  }

  private onMessage(worker: Worker, message: FromThread): void {
    if (worker !== this.worker) return;
    switch (message.t) {
      case 'settled':
        if (message.rttMs !== undefined) this.rttMs = message.rttMs;
        for (const seq of message.acks) this.settle(seq);
        for (let i = 0; i < message.fails.length; i += 3)
          this.settle(message.fails[i] as number, failure(message.fails[i + 1], message.fails[i + 2]));
        // Before the callers' rejection handlers run, as in process.
        if (message.down && this.state !== 'stopped') this.emit('down');
        return;
      case 'state':
        this.remote = message.status;
        if (this.state !== 'stopped') this.setState(message.status.state);
        return;
      case 'up':
        this.backoff.reset();
        if (this.state !== 'stopped') this.emit('up');
        return;
      case 'log':
        this.relog(message.line);
        return;
      case 'inbound': {
        const { payload, correlationData } = message;
        this.sink?.message({
          topic: message.topic,
          payload: Buffer.from(payload.buffer, payload.byteOffset, payload.length),
          retain: message.retain,
          ...(message.responseTopic !== undefined ? { responseTopic: message.responseTopic } : {}),
          ...(correlationData
            ? {
                correlationData: Buffer.from(
                  correlationData.buffer,
                  correlationData.byteOffset,
                  correlationData.length,
                ),
              }
            : {}),
        });
        return;
      }
      case 'tooLarge':
        this.sink?.tooLarge(message.topic, message.bytes);
        return;
      case 'started':
        if (message.error !== undefined) this.startFailed(worker, message.error);
        else this.settleStart();
        return;
      case 'stopped':
        this.stopped?.();
        this.stopped = undefined;
        return;
    }
  }

  /** An unreadable TLS file: start() throws; for a restarted thread, it is one more failure. */
  private startFailed(worker: Worker, error: string): void {
    const starting = this.starting;
    if (!starting) {
      this.failure = error;
      void worker.terminate();
      return;
    }
    this.starting = undefined;
    this.worker = undefined;
    void worker.terminate();
    starting.reject(new Error(error));
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.state === 'stopped') {
      this.stopped?.();
      this.stopped = undefined;
      return;
    }
    const wasConnected = this.state === 'connected';
    this.earlierConnects += this.remote.connects;
    this.remote = NOT_CONNECTED;
    this.batch = undefined; // rejected with the rest below
    this.lastError = `uplink thread failed: ${this.failure ?? `exit code ${code}`}`;
    this.rejectAll(new UplinkDisconnectedError(`connection lost: ${this.lastError}`));
    this.setState('disconnected');
    const delayMs = this.backoff.next();
    this.restartTimer = setTimeout(() => this.spawn(), delayMs);
    this.restartTimer.unref();
    this.log.error(
      { url: redactUrl(this.options.url), lastError: this.lastError, retryInMs: delayMs },
      'uplink thread failed; starting a new one',
    );
    this.settleStart();
    if (wasConnected) this.emit('down');
  }

  /** Writes a line of the thread's uplink with the daemon's logger: the same line as in process. */
  private relog(line: string): void {
    const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string };
    const label = this.log.levels.labels[level] ?? 'info';
    const write = (this.log as unknown as Record<string, LogFn>)[label];
    write?.call(this.log, fields, msg);
  }

  private settle(seq: number, err?: Error): void {
    const settled = this.pending.get(seq);
    if (!settled) return;
    this.pending.delete(seq);
    settled(err);
  }

  private rejectAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const settled of all) settled(err);
  }

  private settleStart(): void {
    const starting = this.starting;
    this.starting = undefined;
    starting?.resolve();
  }

  private setState(state: UplinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', this.status());
  }
}

/** A payload as it crosses to the thread: strings as they are, bytes copied out of Buffer's pool. */
function bytesOf(payload: string | Buffer): string | Uint8Array {
  return typeof payload === 'string' ? payload : new Uint8Array(payload);
}

function failure(name: unknown, message: unknown): Error {
  const text = String(message);
  if (name === 'UplinkDisconnectedError') return new UplinkDisconnectedError(text);
  if (name === 'UplinkClosedError') return new UplinkClosedError(text);
  return new Error(text);
}
