/**
 * Keeps 200,000 objects of one object literal alive, the pattern on which V8 pretenures a
 * literal's objects; with `start`, after HeapGrowth.start() as the daemon calls it.
 * Usage: node --trace-pretenuring-statistics dist/test/support/pretenuring-probe.js start|none
 */
import { HeapGrowth } from '../../daemon/memory-budget.js';

const mode = process.argv[2];
if (mode !== 'start' && mode !== 'none') throw new Error('usage: pretenuring-probe start|none');
const heap = new HeapGrowth(128);
if (mode === 'start') heap.start();
const kept: { seq: number; at: number }[] = [];
for (let i = 0; i < 200_000; i++) kept.push({ seq: i, at: i });
heap.stop();
process.stdout.write(`kept ${kept.length}\n`);
