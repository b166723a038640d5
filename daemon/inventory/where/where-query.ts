/**
 * Questions about where units were seen, and their answers: the same for the CLI (through the
 * control socket or from the store) and for the query topic. Questions are untrusted input:
 * validated field by field, bounded in units and length, never thrown at.
 */
import type { WhereQuestion, WhereResult } from '../../contract/topics.js';
import { type LastSeen, lastSeenAnswer } from './last-seen.js';
import { MAX_QUERY_LENGTH, queryUnit } from './unit-key.js';

/** Looks a unit up by its key. */
export type FindLastSeen = (key: string) => Promise<LastSeen | undefined>;

/** The longest `replyTo` and `correlationId` taken. */
const MAX_REPLY_TO = 512;
const MAX_CORRELATION_ID = 256;

export type ParsedQuestion =
  | { readonly ok: true; readonly question: WhereQuestion }
  | {
      readonly ok: false;
      readonly code: 'bad-question';
      readonly message: string;
      /** Where to say so, when the question named it validly. */
      readonly replyTo?: string;
      readonly correlationId?: string;
    };

/** Reads a question's payload; `maxUnits` is `where.maxQueryUnits`. */
export function parseQuestion(payload: Buffer, maxUnits: number): ParsedQuestion {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return refused('the question is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return refused('the question is not a JSON object');
  const q = value as Record<string, unknown>;
  const replyTo = boundedString(q.replyTo, MAX_REPLY_TO);
  const correlationId = boundedString(q.correlationId, MAX_CORRELATION_ID);
  const where = { ...(replyTo ? { replyTo } : {}), ...(correlationId ? { correlationId } : {}) };
  const refuse = (message: string): ParsedQuestion => ({ ...refused(message), ...where });
  for (const name of Object.keys(q))
    if (name !== 'units' && name !== 'replyTo' && name !== 'correlationId')
      return refuse(`unknown field ${JSON.stringify(name.slice(0, 64))} (units, replyTo, correlationId)`);
  if (q.replyTo !== undefined && replyTo === undefined)
    return refuse(`replyTo is not a string of 1-${MAX_REPLY_TO} characters`);
  if (q.correlationId !== undefined && correlationId === undefined)
    return refuse(`correlationId is not a string of 1-${MAX_CORRELATION_ID} characters`);
  const units = q.units;
  if (!Array.isArray(units) || units.length === 0) return refuse('units is not a list of at least one unit');
  if (units.length > maxUnits)
    return refuse(`units names ${units.length} units, more than the ${maxUnits} a question may`);
  const bad = units.findIndex((u) => typeof u !== 'string' || u.length > MAX_QUERY_LENGTH);
  if (bad >= 0) return refuse(`units[${bad}] is not a string of at most ${MAX_QUERY_LENGTH} characters`);
  return { ok: true, question: { units: units as string[], ...where } };
}

const refused = (message: string) => ({ ok: false as const, code: 'bad-question' as const, message });

function boundedString(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/** What the index knows of each unit asked about, in the order asked. */
export async function answerUnits(units: readonly string[], find: FindLastSeen): Promise<WhereResult[]> {
  const results: WhereResult[] = [];
  for (const query of units) {
    const unit = queryUnit(query);
    if (!unit.ok) {
      results.push({ query, found: false, error: { code: unit.code, message: unit.message } });
      continue;
    }
    const seen = await find(unit.key);
    results.push(
      seen ? { query, found: true, ...lastSeenAnswer(seen) } : { query, found: false, unit: unit.unit },
    );
  }
  return results;
}
