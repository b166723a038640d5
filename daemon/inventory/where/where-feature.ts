/**
 * Where is it? Keeps the where-is index with every event and answers questions about it: from
 * the CLI over the control socket (`where.find`) and from upstream on the query topic.
 */
import type { WhereAnswer } from '../../contract/topics.js';
import { RepeatLimiter } from '../../log-limit.js';
import type { InventoryDeps, InventoryFeature } from '../features.js';
import type { InboundMessage } from '../inbound.js';
import { WhereIndex } from './where-index.js';
import { answerUnits, parseQuestion } from './where-query.js';

/** The largest question taken from the query topic, bytes. */
const MAX_QUESTION_BYTES = 256 * 1024;
/** Questions from the query topic answered at once at most; more are dropped (asked again). */
const MAX_OPEN_QUESTIONS = 16;
/** Units a CLI question may name at most. */
const MAX_CONTROL_UNITS = 1000;

export type WhereHealth = {
  readonly sightings: number;
  readonly maxUnits: number;
  readonly pending: number;
  readonly evictions: number;
  readonly missed: number;
  readonly queries: number;
  readonly refusedQueries: number;
  readonly writeErrors: number;
};

export async function startWhere(deps: InventoryDeps): Promise<InventoryFeature | undefined> {
  const config = deps.config.where;
  if (!config) return undefined;
  const log = deps.log.child({ feature: 'where' });
  const index = new WhereIndex(
    deps.store.part('where'),
    { maxUnits: config.maxUnits, maxAgeMs: config.maxAgeDays * 86_400_000, flushMs: config.flushMs },
    log,
  );
  await index.start();
  let stopped = false;
  deps.events.observe({
    eventNumbered(event) {
      // The writer keeps its observers: once stopped, the index is told nothing more.
      if (!stopped) index.eventNumbered(event);
    },
  });
  // Questions are untrusted and may come fast: their warnings are limited per kind.
  const warn = new RepeatLimiter(log);
  let queries = 0;
  let refusedQueries = 0;
  let open = 0;
  const find = (key: string) => index.find(key);

  deps.control.register('where.find', async (args) => {
    const units = (args as { units?: unknown } | null)?.units;
    if (!Array.isArray(units) || units.length === 0 || units.length > MAX_CONTROL_UNITS)
      throw new Error(`where.find takes { units: [1-${MAX_CONTROL_UNITS} strings] }`);
    if (units.some((u) => typeof u !== 'string')) throw new Error('where.find: every unit is a string');
    queries++;
    return answerUnits(units as string[], find);
  });

  const answer = (
    to: string,
    correlationData: Buffer | undefined,
    body: Omit<WhereAnswer, 'gateway' | 'site' | 'time'>,
  ) => {
    const text: WhereAnswer = {
      gateway: deps.config.gateway.id,
      site: deps.config.gateway.site,
      time: new Date().toISOString(),
      ...body,
    };
    if (!deps.inbound.reply(to, JSON.stringify(text), correlationData))
      warn.log(
        'not-sent',
        'warn',
        { replyTo: to },
        'where-is answer not sent (not connected, or a reply topic not allowed)',
      );
  };

  const onQuestion = (message: InboundMessage) => {
    const parsed = parseQuestion(message.payload, config.maxQueryUnits);
    const to = message.responseTopic ?? (parsed.ok ? parsed.question.replyTo : parsed.replyTo);
    const correlationId = parsed.ok ? parsed.question.correlationId : parsed.correlationId;
    const echo = correlationId === undefined ? {} : { correlationId };
    if (!parsed.ok) {
      refusedQueries++;
      warn.log(
        'refused',
        'warn',
        { topic: message.topic, reason: parsed.message },
        'where-is question refused',
      );
      if (to)
        answer(to, message.correlationData, {
          ...echo,
          error: { code: parsed.code, message: parsed.message },
        });
      return;
    }
    if (!to || open >= MAX_OPEN_QUESTIONS) {
      refusedQueries++;
      warn.log(
        to ? 'busy' : 'no-reply-topic',
        'warn',
        { topic: message.topic, open },
        to ? 'where-is question dropped: too many asked at once' : 'where-is question names no reply topic',
      );
      return;
    }
    open++;
    queries++;
    void answerUnits(parsed.question.units, find)
      .then((results) => answer(to, message.correlationData, { ...echo, results }))
      .catch((err: unknown) => log.error({ err }, 'where-is question not answered'))
      .finally(() => open--);
  };
  const unsubscribe = deps.inbound.subscribe(
    deps.topics.queryWhere,
    { maxBytes: MAX_QUESTION_BYTES },
    onQuestion,
  );

  return {
    name: 'where',
    async stop() {
      stopped = true;
      unsubscribe();
      warn.close();
      await index.stop();
    },
    health(): WhereHealth {
      const c = index.counters();
      return {
        sightings: c.sightings,
        maxUnits: config.maxUnits,
        pending: c.pending,
        evictions: c.evictions,
        missed: c.missed,
        queries,
        refusedQueries,
        writeErrors: c.writeErrors,
      };
    },
  };
}
