import { describe, expect, it } from 'vitest';
import { BrokerNodes } from '../../../daemon/uplink/broker-node.js';

describe('BrokerNodes', () => {
  it('takes the nodes in turn, wrapping around, and counts a connection to another node as a switch', () => {
    const nodes = new BrokerNodes(['mqtt://a:1883', 'mqtt://gw:secret@b:1883', 'mqtt://c:1883']);
    expect([nodes.take(), nodes.take(), nodes.take(), nodes.take()]).toEqual([0, 1, 2, 0]);
    expect(nodes.connected()).toBe(false); // the first connection is no switch
    expect(nodes.take()).toBe(1);
    expect(nodes.shown()).toBe('mqtt://b:1883');
    expect(nodes.connected()).toBe(true);
    expect([nodes.switches, nodes.previous, nodes.index]).toEqual([1, 1, 1]);
    // Lost and back on the same node after a full round: no switch.
    expect([nodes.take(), nodes.take(), nodes.take()]).toEqual([2, 0, 1]);
    expect(nodes.connected()).toBe(false);
    expect(nodes.switches).toBe(1);
  });

  it('lets a probe skip the upcoming node', () => {
    const nodes = new BrokerNodes(['mqtt://a:1883', 'mqtt://b:1883']);
    expect(nodes.upcoming).toBe(0);
    nodes.skip();
    expect(nodes.upcoming).toBe(1);
    expect(nodes.take()).toBe(1);
    expect(nodes.upcoming).toBe(0);
  });

  it('with one URL is that URL every time', () => {
    const nodes = new BrokerNodes(['mqtt://a:1883']);
    expect([nodes.take(), nodes.take()]).toEqual([0, 0]);
    nodes.skip();
    expect(nodes.upcoming).toBe(0);
    expect(() => new BrokerNodes([])).toThrow(TypeError);
  });
});
