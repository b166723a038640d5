/**
 * What changed between two counts: one walk over both sorted lists (sorted by `Array.sort`'s
 * default order, which `<` on strings shares), no set of a hundred thousand strings to hash.
 */
export function sortedDiff(
  now: readonly string[],
  before: readonly string[],
): { readonly appeared: string[]; readonly missing: string[] } {
  const appeared: string[] = [];
  const missing: string[] = [];
  let i = 0;
  let j = 0;
  while (i < now.length && j < before.length) {
    const a = now[i]!;
    const b = before[j]!;
    if (a === b) {
      i++;
      j++;
    } else if (a < b) {
      appeared.push(a);
      i++;
    } else {
      missing.push(b);
      j++;
    }
  }
  for (; i < now.length; i++) appeared.push(now[i]!);
  for (; j < before.length; j++) missing.push(before[j]!);
  return { appeared, missing };
}
