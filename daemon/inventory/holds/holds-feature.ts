/**
 * Holds and recalls at the edge: the hold lists (site-wide and this gateway's from upstream,
 * retained; the local one from `readpoint holds`) kept in the inventory store and in an index
 * the read path looks in; each event of a held unit makes an alert and a local signal. Started
 * when the config has a `holds` section.
 */

import { MIB } from '../../mebibytes.js';
import type { InventoryDeps, InventoryFeature } from '../features.js';
import type { InboundMessage } from '../inbound.js';
import { HoldAlerts } from './hold-alerts.js';
import { HoldBook } from './hold-book.js';
import { type HoldCommand, holdCommand } from './hold-commands.js';
import type { HoldList } from './hold-entry.js';
import { HoldIndex } from './hold-index.js';
import { HoldLimitError, HoldLists } from './hold-lists.js';
import { HoldSignals } from './hold-signal.js';
import { HoldUpdateError, parseHoldUpdate } from './hold-update.js';

interface UpdateCounts {
  applied: number;
  ignored: number;
  rejected: number;
}

export async function startHolds(deps: InventoryDeps): Promise<InventoryFeature | undefined> {
  const config = deps.config.holds;
  if (!config) return undefined;
  const log = deps.log.child({ feature: 'holds' });
  const signals = new HoldSignals(deps.config.readPoints, log);
  const index = new HoldIndex();
  const book = new HoldBook(deps.store.part('holds'));
  const lists = new HoldLists(book, index, config.indexMb * MIB);
  const started = Date.now();
  await lists.load();
  const loaded = {
    entries: index.size,
    indexBytes: index.bytes,
    indexLimitBytes: lists.limitBytes,
    ms: Date.now() - started,
    versions: lists.allVersions(),
  };
  // Every stored hold is kept in force: the limit refuses changes, never a recall already taken.
  if (lists.overLimit)
    log.error(
      loaded,
      'hold lists loaded over holds.indexMb: every entry holds; a change that would make the index larger is refused until there is room',
    );
  else log.info(loaded, 'hold lists loaded');

  const alerts = new HoldAlerts(
    index,
    book,
    deps.recorder,
    deps.topics,
    signals,
    {
      site: deps.config.gateway.site,
      gatewayId: deps.config.gateway.id,
      alertIntervalMs: config.alertIntervalS * 1000,
      versionOf: (list) => lists.version(list),
      ...(deps.holdAlerts ? { listeners: deps.holdAlerts } : {}),
    },
    log,
  );
  deps.events.observe(alerts);

  const updates: UpdateCounts = { applied: 0, ignored: 0, rejected: 0 };
  const take = (list: HoldList) => (message: InboundMessage) => {
    if (message.payload.length === 0) return; // a retained list cleared upstream: nothing to apply
    let update: ReturnType<typeof parseHoldUpdate>;
    try {
      update = parseHoldUpdate(JSON.parse(message.payload.toString('utf8')), config.maxEntries);
    } catch (err) {
      updates.rejected++;
      const reason = err instanceof HoldUpdateError || err instanceof SyntaxError ? err.message : String(err);
      log.warn({ list, topic: message.topic, reason }, 'hold update refused');
      return;
    }
    lists.update(list, update).then(
      (outcome) => {
        updates[outcome]++;
        log.info({ list, version: update.version, outcome, entries: index.size }, `hold update ${outcome}`);
      },
      (err: unknown) => {
        updates.rejected++;
        if (err instanceof HoldLimitError)
          log.warn(
            { list, topic: message.topic, version: update.version, reason: err.message },
            'hold update refused',
          );
        else log.error({ err, list, version: update.version }, 'hold update could not be stored');
      },
    );
  };
  const unsubscribe: (() => void)[] = [];
  if (config.upstream) {
    const options = { maxBytes: config.maxUpdateBytes };
    // inputs.holds: the site-wide list's topic, then this gateway's.
    const [siteTopic, gatewayTopic] = deps.topics.inputs.holds as [string, string];
    unsubscribe.push(deps.inbound.subscribe(siteTopic, options, take('site')));
    unsubscribe.push(deps.inbound.subscribe(gatewayTopic, options, take('gateway')));
  }
  for (const verb of [
    'add',
    'remove',
    'list',
    'import',
    'room',
    'weigh',
  ] as const satisfies readonly HoldCommand[])
    deps.control.register(`holds.${verb}`, (args) => holdCommand(lists, verb, args));

  return {
    name: 'holds',
    async stop() {
      for (const u of unsubscribe) u();
      alerts.stop();
      signals.stop();
    },
    health: () => ({
      entries: { ...index.counts(), total: index.size },
      indexBytes: index.bytes,
      indexLimitBytes: lists.limitBytes,
      versions: lists.allVersions(),
      hits: alerts.counts.hits,
      alerts: alerts.counts.alerts,
      alertsHeldBack: alerts.counts.heldBack,
      alertFailures: alerts.counts.failures,
      signals: signals.counts.signals,
      signalFailures: signals.counts.failures,
      updates: { ...updates },
    }),
    warnings: () => {
      const w = lists.limitWarning();
      return w === undefined ? [] : [w];
    },
  };
}
