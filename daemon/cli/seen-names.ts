/**
 * Which hold entry names an import file has shown already, in bounded memory: a 64-bit
 * fingerprint of each name (from its SHA-1) in an open-addressed table, at most half full (16
 * bytes a name at worst: 1,000,000 names in 16 MiB, where a set of the names themselves takes
 * several times that). Two names with one fingerprint would count as one: about one chance in 37
 * million for a million names, and then the daemon's own check of each chunk it imports still
 * refuses what its index has no room for.
 */
import { createHash } from 'node:crypto';

export class SeenNames {
  private table = new BigUint64Array(1024);
  private count = 0;

  /** True the first time `name` is given, false after. */
  add(name: string): boolean {
    // 0 marks an empty slot.
    const print = createHash('sha1').update(name).digest().readBigUInt64BE(0) || 1n;
    if (!insert(this.table, print)) return false;
    if (++this.count * 2 > this.table.length) {
      const bigger = new BigUint64Array(this.table.length * 2);
      for (const p of this.table) if (p !== 0n) insert(bigger, p);
      this.table = bigger;
    }
    return true;
  }

  get size(): number {
    return this.count;
  }
}

/** Puts `print` in `table` (a power of two long, never full); false when it is there already. */
function insert(table: BigUint64Array, print: bigint): boolean {
  const mask = table.length - 1;
  for (let i = Number(print & BigInt(mask)); ; i = (i + 1) & mask) {
    if (table[i] === print) return false;
    if (table[i] === 0n) {
      table[i] = print;
      return true;
    }
  }
}
