/**
 * The inventory's subscriptions end with it: the uplink outlives the inventory at stop, so a
 * subscription a feature left behind would hand messages to a stopped feature and a closed store.
 */
import { describe, expect, it } from 'vitest';
import { topics } from '../../../daemon/contract/topics.js';
import { InboundScope } from '../../../daemon/inventory/inbound-scope.js';
import { silentLogger } from '../../../daemon/log.js';
import { InboundLink } from '../../../daemon/uplink/inbound-link.js';

const t = topics('readpoint/v1', 'site-t', 'gw-t');
const holds = t.inputs.holds[1]!;
const message = (payload: string) => ({ topic: holds, payload: Buffer.from(payload), retain: false });

describe('inbound scope of the inventory', () => {
  it('ends at close every subscription a feature made and did not end, and only those', () => {
    const link = new InboundLink(t, silentLogger());
    const scope = new InboundScope(link);
    const feature: string[] = [];
    const other: string[] = [];
    const ended: string[] = [];
    scope.subscribe(holds, { maxBytes: 100 }, (m) => feature.push(m.payload.toString()));
    const unsubscribe = scope.subscribe(`${t.inputs.context}+`, { maxBytes: 100 }, (m) =>
      ended.push(m.topic),
    );
    link.subscribe(holds, { maxBytes: 100 }, (m) => other.push(m.payload.toString()));
    link.message(message('before'));
    unsubscribe();
    expect(link.stats().subscriptions).toBe(1); // holds, by the feature and by the other

    scope.close();
    unsubscribe(); // a feature ending its own subscription after the stop changes nothing
    link.message(message('after'));
    link.message({ topic: `${t.inputs.context}door-1`, payload: Buffer.from('{}'), retain: true });
    expect(feature).toEqual(['before']);
    expect(ended).toEqual([]);
    expect(other).toEqual(['before', 'after']);
    expect(link.stats().subscriptions).toBe(1);
    expect(() => scope.subscribe(holds, { maxBytes: 100 }, () => undefined)).toThrow(/stopped/);
    expect(scope.reply(`${t.replies}wms-1`, '{}')).toBe(false);
  });
});
