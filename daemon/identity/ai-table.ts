/**
 * The Application Identifiers readpoint decodes, first cut: the keys and attributes a serialized
 * unit's label carries. Written from GS1's Barcode Syntax Dictionary (shared/specs); issue 3
 * completes the table.
 */
export interface AiSpec {
  readonly ai: string;
  /** N: digits only; X: GS1 character set 82. */
  readonly charset: 'N' | 'X';
  readonly min: number;
  readonly max: number;
  /** Predefined length: no GS separator needed after it (GS1 General Specifications table). */
  readonly predefined: boolean;
  /** The value ends in a GS1 check digit (over the first `checkLength` characters, default all). */
  readonly check?: boolean;
  readonly checkLength?: number;
  /** YYMMDD, day 00 allowed. */
  readonly date?: boolean;
  readonly title: string;
}

const table = new Map<string, AiSpec>();
const add = (
  ai: string,
  charset: 'N' | 'X',
  min: number,
  max: number,
  title: string,
  extra: Partial<AiSpec> = {},
) => {
  const predefined = isPredefined(ai);
  table.set(ai, { ai, charset, min, max, predefined, title, ...extra });
};

/** Predefined-length AIs go by their first two digits. */
function isPredefined(ai: string): boolean {
  const p = Number(ai.slice(0, 2));
  return p <= 4 || (p >= 11 && p <= 20) || (p >= 31 && p <= 36) || p === 41;
}

add('00', 'N', 18, 18, 'SSCC', { check: true });
add('01', 'N', 14, 14, 'GTIN', { check: true });
add('02', 'N', 14, 14, 'CONTENT', { check: true });
add('10', 'X', 1, 20, 'BATCH/LOT');
for (const [ai, title] of [
  ['11', 'PROD DATE'],
  ['12', 'DUE DATE'],
  ['13', 'PACK DATE'],
  ['15', 'BEST BEFORE or BEST BY'],
  ['16', 'SELL BY'],
  ['17', 'USE BY or EXPIRY'],
] as const) {
  add(ai, 'N', 6, 6, title, { date: true });
}
add('20', 'N', 2, 2, 'VARIANT');
add('21', 'X', 1, 20, 'SERIAL');
add('22', 'X', 1, 20, 'CPV');
add('30', 'N', 1, 8, 'VAR. COUNT');
// Trade measures 310n-316n, 320n-337n, 340n-357n, 360n-369n (n = decimal point position).
const measures = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
for (const p of [
  ...measures(310, 316),
  ...measures(320, 337),
  ...measures(340, 357),
  ...measures(360, 369),
]) {
  for (let d = 0; d <= 5; d++) add(`${p}${d}`, 'N', 6, 6, `MEASURE ${p}${d}`);
}
add('37', 'N', 1, 8, 'COUNT');
add('240', 'X', 1, 30, 'ADDITIONAL ID');
add('241', 'X', 1, 30, 'CUST. PART No.');
add('250', 'X', 1, 30, 'SECONDARY SERIAL');
add('254', 'X', 1, 20, 'GLN EXTENSION COMPONENT');
add('400', 'X', 1, 30, 'ORDER NUMBER');
for (let ai = 410; ai <= 417; ai++) add(String(ai), 'N', 13, 13, `GLN ${ai}`, { check: true });
add('7003', 'N', 10, 10, 'EXPIRY TIME');
add('8003', 'X', 14, 30, 'GRAI', { check: true, checkLength: 14 });
add('8004', 'X', 1, 30, 'GIAI');
add('8006', 'N', 18, 18, 'ITIP', { check: true, checkLength: 14 });
add('90', 'X', 1, 30, 'INTERNAL');
for (let ai = 91; ai <= 99; ai++) add(String(ai), 'X', 1, 90, 'INTERNAL');

/** The AI at the start of `s` from `pos` (2, 3 or 4 digits), if known. */
export function aiAt(s: string, pos: number): AiSpec | undefined {
  for (let len = 2; len <= 4; len++) {
    const spec = table.get(s.slice(pos, pos + len));
    if (spec) return spec;
  }
  return undefined;
}

export const knownAis = (): readonly AiSpec[] => [...table.values()];
