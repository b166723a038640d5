/**
 * The transaction-context feature: read points with a `context` section keep a context, set by
 * upstream (retained `<base>/context/<readPoint>`), by the CLI (`context.set|clear|show` on the
 * control socket) or by their context scanners. Without any such read point it does not start.
 */
import type { Config } from '../../../config/schema.js';
import type { InventoryDeps, InventoryFeature } from '../features.js';
import type { ScanCommand } from '../scan-commands.js';
import { ContextInputError, contextInput, MAX_CONTEXT_BYTES, upstreamContext } from './context-input.js';
import { ReadPointContexts } from './contexts.js';
import { TransactionBarcodes } from './transaction-barcode.js';

/** The read points a context scanner sets, with what its barcodes mean there. */
type ScannerTargets = Map<string, { point: string; barcodes: TransactionBarcodes; expiryS?: number }[]>;

function scannerTargets(config: Config): ScannerTargets {
  const out: ScannerTargets = new Map();
  for (const point of config.readPoints) {
    const context = point.context;
    if (!context) continue;
    for (const readerId of context.scanners) {
      const reader = config.readers.find((r) => r.id === readerId);
      const data = reader && 'format' in reader ? reader.format.data : 'aim';
      const targets = out.get(readerId) ?? [];
      targets.push({
        point: point.id,
        barcodes: new TransactionBarcodes(context, data),
        ...(context.expiryS !== undefined ? { expiryS: context.expiryS } : {}),
      });
      out.set(readerId, targets);
    }
  }
  return out;
}

/** A control command's `readPoint`, checked against the read points that keep a context. */
function pointOf(args: unknown, points: ReadonlySet<string>, optional = false): string | undefined {
  const point = (args as { readPoint?: unknown } | null)?.readPoint;
  if (point === undefined && optional) return undefined;
  if (typeof point !== 'string' || !points.has(point))
    throw new Error(
      `readPoint must name a read point with a context section (${[...points].join(', ') || 'none configured'})`,
    );
  return point;
}

export async function startContexts(deps: InventoryDeps): Promise<InventoryFeature | undefined> {
  const { config, log: parentLog } = deps;
  const points = new Set(config.readPoints.filter((p) => p.context).map((p) => p.id));
  if (points.size === 0) return undefined;
  const log = parentLog.child({ feature: 'context' });
  const contexts = new ReadPointContexts({
    gateway: config.gateway.id,
    site: config.gateway.site,
    points,
    part: deps.store.part('context'),
    events: deps.events,
    recorder: deps.recorder,
    changeTopic: deps.topics.contextChanges,
    log,
  });
  await contexts.load();

  const targets = scannerTargets(config);
  const removeScan = deps.scanCommands.add((scan: ScanCommand) => {
    const mine = targets.get(scan.readerId);
    if (!mine) return false;
    let taken = false;
    for (const target of mine) {
      const found = target.barcodes.read(scan.data);
      if (!found) continue;
      taken = true;
      if (found.kind === 'clear') contexts.clear(target.point, 'scan');
      else
        contexts.set(
          target.point,
          {
            bizTransactionList: [found.transaction],
            sourceList: [],
            destinationList: [],
            ...(target.expiryS !== undefined ? { expiresAt: scan.at + target.expiryS * 1000 } : {}),
          },
          'scan',
          { reader: scan.readerId },
        );
    }
    return taken;
  });

  // The read point is the topic's last level: only configured ones are taken, never shaped by it.
  const prefix = deps.topics.contexts.slice(0, -1);
  const unsubscribe = deps.inbound.subscribe(
    deps.topics.contexts,
    { maxBytes: MAX_CONTEXT_BYTES },
    (message) => {
      const point = message.topic.slice(prefix.length);
      if (!points.has(point)) {
        log.warn({ topic: message.topic }, 'a context for a read point without a context section is ignored');
        contexts.countRefused();
        return;
      }
      if (message.payload.length === 0) return; // a retained context deleted upstream; a clear says so
      try {
        const verdict = contexts.upstream(point, upstreamContext(message.payload, Date.now()));
        if (verdict === 'stale')
          log.info({ readPoint: point }, 'an upstream context not newer than the one taken is ignored');
      } catch (err) {
        if (!(err instanceof ContextInputError)) throw err;
        contexts.countRefused();
        log.warn({ readPoint: point, reason: err.message }, 'an upstream context was refused');
      }
    },
  );

  deps.control.register('context.set', async (args) => {
    const point = pointOf(args, points)!;
    const { readPoint: _, ...fields } = args as Record<string, unknown>;
    try {
      contexts.set(point, contextInput(fields, Date.now()), 'cli');
    } catch (err) {
      if (err instanceof ContextInputError) contexts.countRefused();
      throw err;
    }
    return contexts.show(point);
  });
  deps.control.register('context.clear', async (args) => {
    const point = pointOf(args, points)!;
    return { cleared: contexts.clear(point, 'cli') };
  });
  deps.control.register('context.show', async (args) => contexts.show(pointOf(args, points, true)));

  return {
    name: 'context',
    async stop() {
      removeScan();
      unsubscribe();
      await contexts.stop();
    },
    health: () => contexts.health(),
  };
}
