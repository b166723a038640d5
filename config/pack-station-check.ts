/** Cross-checks of pack stations, beyond what the schema (config/pack-station.ts) says. */

interface PackPoint {
  readonly mode?: 'pack';
  readonly pack?: { readonly closeCode: string; readonly removeCode?: string };
  readonly direction?: unknown;
}

/** A pack station has its settings (and only a pack station), two distinct codes and no direction. */
export function checkPackStations(
  points: readonly PackPoint[],
  problem: (path: (string | number)[], message: string) => void,
): void {
  points.forEach((p, i) => {
    const at = ['readPoints', i];
    if (p.mode === 'pack' && !p.pack)
      problem([...at, 'pack'], 'a read point in pack mode needs pack.closeCode');
    if (p.mode !== 'pack' && p.pack) problem([...at, 'mode'], 'pack settings need mode: pack');
    if (p.mode === 'pack' && p.direction !== undefined)
      problem([...at, 'direction'], 'a pack station has no direction (a two-zone dock door is not one)');
    if (p.pack?.removeCode !== undefined && p.pack.removeCode === p.pack.closeCode)
      problem([...at, 'pack', 'removeCode'], 'must differ from closeCode');
  });
}
