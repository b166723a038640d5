import { describe, expect, it } from 'vitest';
import { BrokerNodes, firstNode } from '../../../daemon/uplink/broker-node.js';

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

describe('firstNode', () => {
  it('spreads a fleet over every node, evenly, and puts each gateway on the same node every time', () => {
    for (const count of [2, 3, 5]) {
      const ids = Array.from({ length: 600 }, (_, i) => `readpoint-dc-1-dock-${i}`);
      const perNode = Array<number>(count).fill(0);
      for (const id of ids) {
        const node = firstNode(id, count);
        expect(firstNode(id, count)).toBe(node);
        expect(Number.isInteger(node) && node >= 0 && node < count).toBe(true);
        perNode[node]!++;
      }
      // Every node used, none with more than 1.5 times its even share.
      expect(Math.min(...perNode)).toBeGreaterThan(0);
      expect(Math.max(...perNode)).toBeLessThan((1.5 * ids.length) / count);
    }
    // Pinned values: the start node is part of how a fleet sits on its cluster across upgrades.
    expect(['readpoint-site-test-gw-test', 'a', 'gw-1', 'dock-12'].map((id) => firstNode(id, 3))).toEqual([
      0, 1, 0, 2,
    ]);
    expect(firstNode('anything', 1)).toBe(0);
    expect(() => firstNode('x', 0)).toThrow(TypeError);
  });

  it('is where BrokerNodes starts, then the nodes follow in turn', () => {
    const nodes = new BrokerNodes(['mqtt://a:1', 'mqtt://b:1', 'mqtt://c:1'], 2);
    expect([nodes.upcoming, nodes.index]).toEqual([2, 2]);
    expect([nodes.take(), nodes.take(), nodes.take()]).toEqual([2, 0, 1]);
    expect(() => new BrokerNodes(['mqtt://a:1'], 1)).toThrow(TypeError);
  });
});
