/** Non-GS1 serial numbers: a reader's patterns turn opaque text into a unit URI. */
import type { FormatConfig } from '../../config/schema.js';
import { URI_FORM } from '../../config/uri-form.js';
import type { DecodeResult } from './identity.js';

const compiled = new Map<string, RegExp>();
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The pattern as it is matched: anchored to the whole read. Throws a SyntaxError when invalid. */
const anchored = (pattern: string) => new RegExp(`^(?:${pattern})$`, 'u');

function regex(pattern: string): RegExp {
  let r = compiled.get(pattern);
  if (!r) {
    r = anchored(pattern);
    compiled.set(pattern, r);
  }
  return r;
}

/**
 * What is wrong with a plainSerial entry, for `readpoint check`: a pattern that does not compile,
 * or a URI template naming a group the pattern does not have (every read it matches would be
 * rejected), or one that cannot give a URI.
 */
export function plainSerialProblem(
  entry: FormatConfig['plainSerial'][number],
): { readonly key: 'pattern' | 'uri'; readonly message: string } | undefined {
  let r: RegExp;
  try {
    r = anchored(entry.pattern);
  } catch (err) {
    // V8 says "Invalid regular expression: /<source>/u: <reason>": the reason is the news.
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return {
      key: 'pattern',
      message: `${JSON.stringify(entry.pattern)} is not a valid regular expression: ${reason.toLowerCase()}`,
    };
  }
  // An empty alternative matches "" and lists every named group of the pattern, unset.
  const groups = Object.keys(new RegExp(`${r.source}|`, 'u').exec('')?.groups ?? {});
  for (const [, name] of entry.uri.matchAll(PLACEHOLDER)) {
    if (groups.includes(name!)) continue;
    return {
      key: 'uri',
      message:
        groups.length === 0
          ? `the template names {${name}}, but the pattern has no named groups; name the part the URI needs, e.g. (?<${name}>...)`
          : `the template names {${name}}, but the pattern has no group "${name}" (its groups: ${groups.join(', ')}); name a group (?<${name}>...) or use one of those`,
    };
  }
  if (!URI.test(entry.uri.replace(PLACEHOLDER, 'x')))
    return { key: 'uri', message: `${JSON.stringify(entry.uri)} does not give a URI: ${URI_FORM}` };
  return undefined;
}

export function matchPlainSerial(
  text: string,
  patterns: FormatConfig['plainSerial'],
  aim?: string,
): DecodeResult | undefined {
  for (const p of patterns) {
    const m = regex(p.pattern).exec(text);
    if (!m) continue;
    const groups = m.groups ?? {};
    let missing: string | undefined;
    const uri = p.uri.replace(PLACEHOLDER, (_, name: string) => {
      const v = groups[name];
      if (v === undefined) missing = name;
      return encodeURIComponent(v ?? '');
    });
    if (missing !== undefined || !URI.test(uri)) {
      return {
        ok: false,
        reject: {
          code: 'pattern-uri',
          message: `pattern ${p.pattern} matched but its URI template gives no URI (${missing ? `no group "${missing}"` : uri})`,
        },
      };
    }
    return {
      ok: true,
      identity: {
        source: 'plain-serial',
        scheme: 'plain',
        uri,
        serial: groups.serial ?? text,
        ...(aim ? { aim } : {}),
      },
    };
  }
  return undefined;
}
