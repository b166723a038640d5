/**
 * What an upstream publisher can make the inbound link write to the journal: the topics it names
 * are its own choice (any read point below `context/+`), so the drop of oversized messages is
 * logged per subscription, not per topic, and a topic quoted in a line is cut short.
 */
import { describe, expect, it } from 'vitest';
import { topics } from '../../../daemon/contract/topics.js';
import { InboundLink } from '../../../daemon/uplink/inbound-link.js';
import { memoryLogger } from './helpers.js';

const t = topics('readpoint/v1', 'site-t', 'gw-t');

describe('inbound link, oversized messages on many topics', () => {
  it('writes one line per subscription and interval, whatever the number of topics, and counts every drop', async () => {
    const { log, lines } = memoryLogger();
    const link = new InboundLink(t, log);
    const handed: string[] = [];
    link.subscribe(`${t.inputs.context}+`, { maxBytes: 8 }, (m) => handed.push(m.topic));
    link.subscribe(`${t.inputs.query}+`, { maxBytes: 8 }, (m) => handed.push(m.topic));
    const big = Buffer.from('x'.repeat(9));
    for (let i = 0; i < 500; i++) {
      // Dropped by the link over the subscription's bound, and by the uplink over every bound.
      link.message({ topic: `${t.inputs.context}door-${i}`, payload: big, retain: true });
      link.tooLarge(`${t.inputs.query}q-${i}`, 9);
    }
    const long = `${t.inputs.context}${'d'.repeat(60_000)}`;
    link.message({ topic: long, payload: big, retain: false });
    link.close();
    await new Promise((resolve) => setImmediate(resolve)); // pino's sink writes on its own tick
    const dropped = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg?.startsWith('inbound message dropped'));
    expect(handed).toEqual([]);
    expect(link.stats().tooLarge).toBe(1001);
    // The first of each subscription at once, then one summary each with the repeats.
    expect(dropped.length).toBe(4);
    expect(dropped.map((l) => l.repeated ?? 0).sort((a, b) => a - b)).toEqual([0, 0, 499, 500]);
    for (const line of dropped) expect(line.topic.length).toBeLessThanOrEqual(256);
  });
});
