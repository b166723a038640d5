/**
 * One switch for the fault matrix's two sizes: the short variant runs in CI (`npm test`), the
 * long one in `npm run soak` (READPOINT_SOAK=1). The tests are the same code; only the sizes
 * (events, kills, restarts) differ.
 */
export const SOAK = process.env.READPOINT_SOAK === '1';

/** `short` in CI, `long` under `npm run soak`. */
export const scale = <T>(short: T, long: T): T => (SOAK ? long : short);
