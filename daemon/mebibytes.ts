/** Sizes in mebibytes, as settings give them and as people read them. */

/** Bytes in a MiB. */
export const MIB = 1024 * 1024;

/** `bytes` in MiB, rounded to `places` decimals (trailing zeros dropped): `54.2 MiB`, `2 MiB`. */
export function mibText(bytes: number, places: number): string {
  const scale = 10 ** places;
  return `${Math.round((bytes / MIB) * scale) / scale} MiB`;
}
