/**
 * Every GS1 Application Identifier, from GS1's Barcode Syntax Dictionary (the rows are generated
 * into ai-dictionary.generated.ts by `npm run ai-table`): its components with their character
 * set, length and content checks ("linters"), whether it has a predefined length (no GS needed
 * after it), whether it may be a Digital Link data attribute or primary key, and its required-with
 * and never-with rules. Loading checks that every linter the dictionary names exists.
 */
import { AI_ROWS } from './ai-dictionary.generated.js';
import { LINTERS, type Linter } from './ai-linters.js';

/** One component of an AI's value as the dictionary writes it (`N6,yymmd0`, `[X..16]`). */
export interface ComponentRow {
  /** N digits, X GS1 character set 82, Y character set 39, Z character set 64 (base64url). */
  readonly cset: 'N' | 'X' | 'Y' | 'Z';
  readonly min: number;
  readonly max: number;
  readonly optional: boolean;
  readonly linters: readonly string[];
}

/** One dictionary line: an AI or a range of AIs sharing one definition. */
export interface AiRow {
  readonly from: string;
  readonly to: string;
  readonly predefined: boolean;
  readonly dlAttribute: boolean;
  readonly components: readonly ComponentRow[];
  /** Each entry must hold: one of its alternatives present, an alternative being AIs joined by +. */
  readonly requires: readonly (readonly (readonly string[])[])[];
  readonly excludes: readonly string[];
  /** A Digital Link primary key: its alternative sequences of ordered, optional qualifiers. */
  readonly dlKey?: readonly (readonly string[])[];
  readonly title: string;
}

/** An AI or an AI pattern (`310n`, `35nn`): the digits before the first `n`, and the length. */
export interface AiPattern {
  readonly prefix: string;
  readonly length: number;
  readonly text: string;
}

/** Character set bits, as `Component.flag` carries them: one table lookup checks a character. */
export const CSET_FLAG = { N: 1, X: 2, Y: 4, Z: 8 } as const;

export interface Component extends ComponentRow {
  readonly check: readonly Linter[];
  /** `CSET_FLAG[cset]`. */
  readonly flag: number;
}

export interface AiDefinition {
  readonly ai: string;
  readonly title: string;
  readonly predefined: boolean;
  readonly dlAttribute: boolean;
  readonly components: readonly Component[];
  /** Shortest and longest value. */
  readonly minLength: number;
  /** All digits: a value that never needs %-encoding in a URI. */
  readonly numeric: boolean;
  readonly maxLength: number;
  readonly requires: readonly (readonly (readonly AiPattern[])[])[];
  readonly excludes: readonly AiPattern[];
  readonly dlKey?: readonly (readonly string[])[];
  /** `dlKey` with each AI as its code. */
  readonly dlKeyCodes?: readonly (readonly number[])[];
  /**
   * The AI as a number, unique among AIs (`aiCode`): the hot path compares AIs by code, as
   * comparing two AI strings means comparing their characters.
   */
  readonly code: number;
  /** Position of the AI in lexicographic order (Digital Link query order), for fast comparison. */
  readonly rank: number;
}

const pattern = (text: string): AiPattern => {
  const n = text.indexOf('n');
  return { prefix: n < 0 ? text : text.slice(0, n), length: text.length, text };
};

/** True when the AI matches the pattern (`3103` matches `310n`). */
export const matches = (ai: string, p: AiPattern): boolean =>
  ai.length === p.length && ai.startsWith(p.prefix);

const definitions = new Map<string, AiDefinition>();
/** The same definitions by length and number (`length * 10000 + n`): lookups without hashing strings. */
const byNumber: (AiDefinition | undefined)[] = new Array(50_000).fill(undefined);

/** `length * 10000 + numeric value` of a 2-4 digit AI in text[from, to), or -1 when it is not one. */
function aiIndex(text: string, from = 0, to = text.length): number {
  const length = to - from;
  if (length < 2 || length > 4) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return length * 10_000 + n;
}
/** An AI's code (`AiDefinition.code`): `length * 10000 + its value`, -1 when not 2-4 digits. */
export const aiCode = (ai: string): number => aiIndex(ai);

/** AI length by its first two digits (GS1 assigns one length to every two-digit prefix). */
const lengthByPrefix = new Uint8Array(100);

for (const row of AI_ROWS) {
  const components = row.components.map((c): Component => {
    const check = c.linters.map((name) => {
      const linter = LINTERS[name];
      if (!linter) throw new Error(`AI ${row.from}: the dictionary names an unknown linter "${name}"`);
      return linter;
    });
    return { ...c, check, flag: CSET_FLAG[c.cset] };
  });
  const required = components.filter((c) => !c.optional);
  const base = {
    title: row.title,
    predefined: row.predefined,
    dlAttribute: row.dlAttribute,
    components,
    minLength: required.reduce((sum, c) => sum + c.min, 0),
    numeric: components.every((c) => c.cset === 'N'),
    maxLength: components.reduce((sum, c) => sum + c.max, 0),
    requires: row.requires.map((group) => group.map((alternative) => alternative.map(pattern))),
    excludes: row.excludes.map(pattern),
    ...(row.dlKey ? { dlKey: row.dlKey, dlKeyCodes: row.dlKey.map((seq) => seq.map(aiCode)) } : {}),
  };
  const width = row.from.length;
  for (let n = Number(row.from); n <= Number(row.to); n++) {
    const ai = String(n).padStart(width, '0');
    const prefix = Number(ai.slice(0, 2));
    if (lengthByPrefix[prefix] && lengthByPrefix[prefix] !== width) {
      throw new Error(`AI ${ai}: AIs starting ${ai.slice(0, 2)} have two lengths`);
    }
    lengthByPrefix[prefix] = width;
    const def = { ai, ...base, code: aiIndex(ai), rank: 0 };
    definitions.set(ai, def);
    byNumber[aiIndex(ai)] = def;
  }
}

[...definitions.keys()].sort().forEach((ai, rank) => {
  (definitions.get(ai) as { rank: number }).rank = rank;
});
// layoutKey packs ranks into 10 bits.
if (definitions.size >= 1023) throw new Error(`${definitions.size} AIs: ranks no longer fit in 10 bits`);

/** The definition of an AI, or undefined when GS1 has not assigned it. */
export function aiDefinition(ai: string): AiDefinition | undefined {
  const i = aiIndex(ai);
  return i < 0 ? undefined : byNumber[i];
}

/** The definition of the AI written at text[from, to), without slicing it out first. */
export function aiDefinitionAt(text: string, from: number, to: number): AiDefinition | undefined {
  const i = aiIndex(text, from, to);
  return i < 0 ? undefined : byNumber[i];
}

/**
 * The AI at `pos` of `data`: its definition when known, else the number of characters the AI
 * would take (0 when not even its first two characters are digits of an assigned prefix).
 */
export function aiAt(data: string, pos: number): AiDefinition | number {
  const d0 = data.charCodeAt(pos) - 48;
  const d1 = data.charCodeAt(pos + 1) - 48;
  if (!(d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9)) return 0;
  const length = lengthByPrefix[d0 * 10 + d1]!;
  if (length === 0 || pos + length > data.length) return length;
  let n = 0;
  for (let i = pos; i < pos + length; i++) {
    const d = data.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return length;
    n = n * 10 + d;
  }
  return byNumber[length * 10_000 + n] ?? length;
}

/** The longest layout with a key: 5 x 10 bits, with 3 bits to spare in a double's integers. */
export const MAX_LAYOUT = 5;

/**
 * A number naming a list of up to five AIs in their order (a label's layout), or -1 for longer
 * lists: each AI's rank + 1 in ten bits. What depends on the layout alone (the association
 * rules' verdict, the Digital Link's shape) is remembered by it.
 */
export function layoutKey(defs: readonly AiDefinition[]): number {
  if (defs.length > MAX_LAYOUT) return -1;
  let key = 0;
  for (let i = 0; i < defs.length; i++) key = key * 1024 + defs[i]!.rank + 1;
  return key;
}
/** Every AI, in numeric order. */
export const allAis = (): readonly AiDefinition[] => [...definitions.values()];
