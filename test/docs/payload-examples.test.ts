import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  aggregationErrors,
  contextChangeErrors,
  countErrors,
  gs1Errors,
  holdAlertErrors,
  holdUpdateErrors,
  noticeErrors,
  ownErrors,
  repoRoot,
  summaryErrors,
  whereAnswerErrors,
  whereQuestionErrors,
} from '../support/schemas.js';

/** The JSON examples of a docs page that are whole documents, by the section they are in. */
function examples(name = 'topics-and-payloads.md'): Map<string, unknown[]> {
  const page = readFileSync(join(repoRoot, 'docs', name), 'utf8');
  const bySection = new Map<string, unknown[]>();
  for (const part of page.split(/^## /m).slice(1)) {
    const title = part.slice(0, part.indexOf('\n'));
    const docs = [...part.matchAll(/```json\n(\{\n[\s\S]*?\n\})\n```/g)].map((m) => JSON.parse(m[1]!));
    bySection.set(title, docs);
  }
  return bySection;
}

describe('the payload examples in docs/topics-and-payloads.md', () => {
  it('show an overflow notice that is valid against its schema', () => {
    const notices = examples().get('Overflow notices') ?? [];
    expect(notices).toHaveLength(1);
    expect(noticeErrors(notices[0])).toEqual([]);
  });

  it('show a summary that is valid against its schema and adds up', () => {
    const summaries = (examples().get('Summary') ?? []) as {
      readers: { reads: number; events: number }[];
      totals: { reads: number; events: number };
    }[];
    expect(summaries).toHaveLength(1);
    const summary = summaries[0]!;
    expect(summaryErrors(summary)).toEqual([]);
    expect(summary.readers.reduce((n, r) => n + r.reads, 0)).toBe(summary.totals.reads);
    expect(summary.readers.reduce((n, r) => n + r.events, 0)).toBe(summary.totals.events);
  });
});

describe('the payload examples in docs/inventory.md', () => {
  it('show an AggregationEvent ADD and DELETE valid against GS1 and our schema', () => {
    const events = (examples('inventory.md').get('Packing') ?? []) as { action: string }[];
    expect(events.map((e) => e.action)).toEqual(['ADD', 'DELETE']);
    for (const e of events) {
      expect(gs1Errors(e)).toEqual([]);
      expect(aggregationErrors(e)).toEqual([]);
    }
  });

  it('show a cycle count valid against GS1 and our schema, whose totals match its lists', () => {
    const counts = (examples('inventory.md').get('Cycle counts') ?? []) as {
      epcList: string[];
      'rp:appeared': string[];
      'rp:missing': string[];
      'rp:count': { units: number; appeared: number; missing: number };
    }[];
    expect(counts).toHaveLength(1);
    const count = counts[0]!;
    expect(gs1Errors(count)).toEqual([]);
    expect(countErrors(count)).toEqual([]);
    expect([count['rp:count'].units, count['rp:count'].appeared, count['rp:count'].missing]).toEqual([
      count.epcList.length,
      count['rp:appeared'].length,
      count['rp:missing'].length,
    ]);
  });

  it('show an upstream context, the change it made before, valid against its schema, and an event carrying the context', () => {
    const [input, change, event, ...rest] = (examples('inventory.md').get('Transaction context') ??
      []) as Record<string, unknown>[];
    expect(rest).toHaveLength(0);
    expect(input!.version).toBe(12);
    expect((change!.previous as Record<string, unknown>).version).toBe(input!.version);
    expect(contextChangeErrors(change)).toEqual([]);
    expect(gs1Errors(event)).toEqual([]);
    expect(ownErrors(event)).toEqual([]);
    expect(event!.bizTransactionList).toEqual(
      (change!.context as Record<string, unknown>).bizTransactionList,
    );
  });

  it('show hold updates (a full list, an increment on it) and an alert valid against their schemas', () => {
    const [full, increment, alert, ...rest] = (examples('inventory.md').get('Holds and recalls') ??
      []) as Record<string, unknown>[];
    expect(rest).toHaveLength(0);
    expect(holdUpdateErrors(full)).toEqual([]);
    expect(holdUpdateErrors(increment)).toEqual([]);
    expect(increment!.base).toBe(full!.version);
    expect(holdAlertErrors(alert)).toEqual([]);
  });

  it('show a where-is question and its answer, one result per unit in the order asked', () => {
    const [question, answer, ...rest] = (examples('inventory.md').get('Where is it?') ?? []) as Record<
      string,
      unknown
    >[];
    expect(rest).toHaveLength(0);
    expect(whereQuestionErrors(question)).toEqual([]);
    expect(whereAnswerErrors(answer)).toEqual([]);
    expect((answer!.results as { query: string }[]).map((r) => r.query)).toEqual(question!.units);
    expect(answer!.correlationId).toBe(question!.correlationId);
  });
});
