/**
 * A set of sequence numbers kept as sorted, disjoint, inclusive [from, to] ranges: the missing
 * numbers of a gateway's stream, or the numbers its overflow notices announced as dropped.
 * Pure; lookups are binary searches, so a set of thousands of ranges stays cheap per event.
 */
export type Range = readonly [from: number, to: number];

export class RangeSet {
  private readonly ranges: [number, number][] = [];

  /** Numbers in the set. */
  get size(): number {
    let n = 0;
    for (const [from, to] of this.ranges) n += to - from + 1;
    return n;
  }

  /** Ranges in the set. */
  get count(): number {
    return this.ranges.length;
  }

  list(): Range[] {
    return this.ranges.map(([from, to]) => [from, to] as const);
  }

  has(n: number): boolean {
    const i = this.indexAtOrBefore(n);
    return i >= 0 && this.ranges[i]![1] >= n;
  }

  /** Adds from..to, merging with overlapping and adjacent ranges. */
  add(from: number, to: number): void {
    if (to < from) return;
    let start = this.indexAtOrBefore(from);
    if (start < 0 || this.ranges[start]![1] < from - 1) start++;
    let end = start;
    while (end < this.ranges.length && this.ranges[end]![0] <= to + 1) end++;
    if (end > start) {
      from = Math.min(from, this.ranges[start]![0]);
      to = Math.max(to, this.ranges[end - 1]![1]);
    }
    this.ranges.splice(start, end - start, [from, to]);
  }

  /** Removes one number; false if it was not in the set. */
  delete(n: number): boolean {
    const i = this.indexAtOrBefore(n);
    const r = this.ranges[i];
    if (!r || r[1] < n) return false;
    const [from, to] = r;
    if (from === to) this.ranges.splice(i, 1);
    else if (n === from) r[0] = n + 1;
    else if (n === to) r[1] = n - 1;
    else this.ranges.splice(i, 1, [from, n - 1], [n + 1, to]);
    return true;
  }

  /** The parts of from..to that are in the set, ascending. */
  within(from: number, to: number): Range[] {
    const out: Range[] = [];
    let i = Math.max(0, this.indexAtOrBefore(from));
    for (; i < this.ranges.length; i++) {
      const [a, b] = this.ranges[i]!;
      if (a > to) break;
      if (b < from) continue;
      out.push([Math.max(a, from), Math.min(b, to)]);
    }
    return out;
  }

  /** Forgets the lowest range; returns how many numbers it held. */
  dropLowest(): number {
    const r = this.ranges.shift();
    return r ? r[1] - r[0] + 1 : 0;
  }

  /** Index of the last range starting at or before n, or -1. */
  private indexAtOrBefore(n: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid]![0] <= n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}

/** from..to split into the parts inside `set` and outside it, ascending, each part tagged. */
export function split(set: RangeSet, from: number, to: number): { range: Range; inside: boolean }[] {
  const out: { range: Range; inside: boolean }[] = [];
  let next = from;
  for (const [a, b] of set.within(from, to)) {
    if (a > next) out.push({ range: [next, a - 1], inside: false });
    out.push({ range: [a, b], inside: true });
    next = b + 1;
  }
  if (next <= to) out.push({ range: [next, to], inside: false });
  return out;
}
