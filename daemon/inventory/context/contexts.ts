/**
 * The transaction contexts of the read points that keep one: the active context of each, applied
 * to the events at once, kept in the inventory store (so it holds through a restart), ended at its
 * expiry, and every change recorded durably on `context-changes/<readPoint>`.
 *
 * A change is recorded before the context is applied, so its sequence number comes before the
 * first event that carries it. The last change wins, whoever made it; upstream messages are
 * ordered among themselves by their version (an old retained message never replaces a newer one).
 */
import type { BusinessContext } from '../../event/business-context.js';
import type { Logger } from '../../log.js';
import type { PendingEvent } from '../../recorder.js';
import type { InventoryPart } from '../inventory-store.js';
import {
  type ActiveContext,
  type ContextChange,
  type ContextSetter,
  type ContextView,
  contextView,
  fromView,
} from './context-change.js';
import type { ContextInput, UpstreamContext } from './context-input.js';

/** What is kept per read point. */
interface Stored {
  readonly active?: ContextView;
  /** The highest upstream version taken, even when a later scan or CLI change replaced it. */
  readonly upstreamVersion?: number;
}

export interface ContextsDeps {
  readonly gateway: string;
  readonly site: string;
  /** Read points that keep a context. */
  readonly points: ReadonlySet<string>;
  readonly part: InventoryPart;
  readonly events: { setContext(readPointId: string, context: BusinessContext | undefined): void };
  readonly recorder: { recordAll(events: readonly PendingEvent[]): Promise<unknown> };
  readonly changeTopic: (readPoint: string) => string;
  readonly log: Logger;
  readonly now?: () => number;
}

/** setTimeout's longest delay; a later expiry is waited for in steps. */
const MAX_DELAY = 2 ** 31 - 1;

export class ReadPointContexts {
  private readonly active = new Map<string, ActiveContext>();
  private readonly upstreamVersions = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private writes: Promise<void> = Promise.resolve();
  private changes = 0;
  private refused = 0;
  private readonly now: () => number;

  constructor(private readonly deps: ContextsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Takes the contexts kept in the store; one that expired meanwhile ends now (recorded). */
  async load(): Promise<void> {
    for await (const [point, text] of this.deps.part.iterator()) {
      if (!this.deps.points.has(point)) continue;
      let stored: Stored;
      try {
        stored = JSON.parse(text) as Stored;
      } catch (err) {
        this.deps.log.warn(
          { err, readPoint: point },
          'a stored transaction context is unreadable; none is active',
        );
        continue;
      }
      if (stored.upstreamVersion !== undefined) this.upstreamVersions.set(point, stored.upstreamVersion);
      if (!stored.active) continue;
      const context = fromView(stored.active);
      this.active.set(point, context);
      this.deps.events.setContext(point, context);
      this.arm(point, context);
    }
  }

  /** Sets a read point's context (it replaces the one active). */
  set(
    point: string,
    input: ContextInput,
    by: ContextSetter,
    from: { reader?: string; version?: number } = {},
  ): ActiveContext {
    const context: ActiveContext = {
      ...(input.bizTransactionList.length ? { bizTransactionList: input.bizTransactionList } : {}),
      ...(input.sourceList.length ? { sourceList: input.sourceList } : {}),
      ...(input.destinationList.length ? { destinationList: input.destinationList } : {}),
      by,
      since: this.now(),
      ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
      ...(from.reader !== undefined ? { reader: from.reader } : {}),
      ...(from.version !== undefined ? { version: from.version } : {}),
    };
    this.change(point, 'set', by, context);
    return context;
  }

  /** Ends a read point's context; false when none was active. */
  clear(point: string, by: ContextSetter): boolean {
    if (!this.active.has(point)) return false;
    this.change(point, 'cleared', by, undefined);
    return true;
  }

  /** An upstream message: taken when its version is newer than every one taken before. */
  upstream(point: string, message: UpstreamContext): 'taken' | 'stale' {
    const last = this.upstreamVersions.get(point);
    if (last !== undefined && message.version <= last) return 'stale';
    this.upstreamVersions.set(point, message.version);
    if (message.clear) {
      if (!this.clear(point, 'upstream')) this.persist(point);
    } else this.set(point, message, 'upstream', { version: message.version });
    return 'taken';
  }

  /** Counts an input refused (a bad message, a stale version is not one). */
  countRefused(): void {
    this.refused++;
  }

  /** The active context of `point`, or of every read point that has one. */
  show(point?: string): Record<string, ContextView> {
    const out: Record<string, ContextView> = {};
    for (const [id, context] of this.active)
      if (point === undefined || id === point) out[id] = contextView(context);
    return out;
  }

  health(): Record<string, unknown> {
    const readPoints: Record<string, unknown> = {};
    for (const [id, c] of this.active)
      readPoints[id] = {
        by: c.by,
        since: new Date(c.since).toISOString(),
        transactions: c.bizTransactionList?.length ?? 0,
        ...(c.expiresAt !== undefined ? { expires: new Date(c.expiresAt).toISOString() } : {}),
      };
    return { active: this.active.size, changes: this.changes, refused: this.refused, readPoints };
  }

  /** Stops the expiry timers and waits for the store writes. */
  async stop(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.writes;
  }

  private change(
    point: string,
    change: ContextChange['change'],
    by: ContextChange['by'],
    context: ActiveContext | undefined,
  ): void {
    const previous = this.active.get(point);
    const time = this.now();
    const { gateway, site } = this.deps;
    const build = (sequence: number): string => {
      const message: ContextChange = {
        gateway,
        site,
        readPoint: point,
        sequence,
        time: new Date(time).toISOString(),
        change,
        by,
        ...(context ? { context: contextView(context) } : {}),
        ...(previous ? { previous: contextView(previous) } : {}),
      };
      return JSON.stringify(message);
    };
    // Recorded (numbered) first: the change comes before the events that carry the context.
    this.deps.recorder
      .recordAll([{ topic: this.deps.changeTopic(point), build }])
      .catch((err: unknown) =>
        this.deps.log.error({ err, readPoint: point }, 'a context change was not recorded'),
      );
    this.changes++;
    if (context) this.active.set(point, context);
    else this.active.delete(point);
    this.deps.events.setContext(point, context);
    this.disarm(point);
    if (context) this.arm(point, context);
    this.deps.log.info(
      {
        readPoint: point,
        change,
        by,
        transactions: context?.bizTransactionList?.map((t) => t.bizTransaction),
      },
      `transaction context ${change}`,
    );
    this.persist(point);
  }

  private persist(point: string): void {
    const active = this.active.get(point);
    const version = this.upstreamVersions.get(point);
    const stored: Stored = {
      ...(active ? { active: contextView(active) } : {}),
      ...(version !== undefined ? { upstreamVersion: version } : {}),
    };
    const { part, log } = this.deps;
    // One write after another: the store ends with the last change.
    this.writes = this.writes
      .then(() =>
        stored.active || stored.upstreamVersion !== undefined
          ? part.put(point, JSON.stringify(stored))
          : part.del(point),
      )
      .catch((err: unknown) =>
        log.error({ err, readPoint: point }, 'a transaction context could not be kept in the store'),
      );
  }

  private arm(point: string, context: ActiveContext): void {
    if (context.expiresAt === undefined) return;
    const wait = () => {
      const left = context.expiresAt! - this.now();
      if (left > 0) {
        this.timers.set(point, setTimeout(wait, Math.min(left, MAX_DELAY)).unref());
        return;
      }
      this.timers.delete(point);
      if (this.active.get(point) === context) this.change(point, 'expired', 'expiry', undefined);
    };
    wait();
  }

  private disarm(point: string): void {
    const timer = this.timers.get(point);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(point);
  }
}
