/**
 * Characters that make text display as other text: C0 and C1 controls, DEL, and the invisible
 * format characters (Unicode category Cf: bidi overrides and isolates such as U+202E, zero-width
 * characters, the BOM) and the line and paragraph separators U+2028/U+2029. A serial holding one
 * would show as another serial (`SN<U+202E>4321` displays as `SN1234`) and can rewrite a terminal
 * or log line, so no identity holds one: a read with one is rejected (`non-printable`), and text
 * shown from elsewhere is escaped.
 */

/** Unsafe in a read's text; GS (0x1d) is data there (the element separator), checked elsewhere. */
const IN_READ = /[\x00-\x1c\x1e-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]/u;

/** Unsafe anywhere text is shown (tab, harmless, stays). */
const SHOWN = /[\x00-\x08\x0a-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]/gu;

const NAMES: Readonly<Record<number, string>> = {
  173: 'soft hyphen',
  1564: 'Arabic letter mark',
  8203: 'zero width space',
  8204: 'zero width non-joiner',
  8205: 'zero width joiner',
  8206: 'left-to-right mark',
  8207: 'right-to-left mark',
  8232: 'line separator',
  8233: 'paragraph separator',
  8234: 'left-to-right embedding',
  8235: 'right-to-left embedding',
  8236: 'pop directional formatting',
  8237: 'left-to-right override',
  8238: 'right-to-left override',
  8294: 'left-to-right isolate',
  8295: 'right-to-left isolate',
  8296: 'first strong isolate',
  8297: 'pop directional isolate',
  65279: 'zero width no-break space',
};

/** `U+202E (right-to-left override)`, `U+009B (C1 control)`. */
export function characterName(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name =
    NAMES[codePoint] ??
    (codePoint < 0x20 || codePoint === 0x7f
      ? 'control'
      : codePoint <= 0x9f
        ? 'C1 control'
        : 'invisible format character');
  return `${hex} (${name})`;
}

/** The first unsafe character of a read's text and its index (UTF-16), or undefined. */
export function unsafeInRead(
  text: string,
): { readonly index: number; readonly codePoint: number } | undefined {
  const m = IN_READ.exec(text);
  return m ? { index: m.index, codePoint: m[0].codePointAt(0)! } : undefined;
}

/** `text` with every unsafe character as `\uXXXX` (a JSON escape: a JSON text stays the same JSON). */
export function escapeUnsafe(text: string): string {
  return text.replace(SHOWN, (c) =>
    [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

/** Whether `text` holds a character escapeUnsafe would escape. */
export const hasUnsafe = (text: string): boolean => text.search(SHOWN) !== -1;
