/** Non-GS1 serial numbers: a reader's patterns turn opaque text into a unit URI. */
import type { FormatConfig } from '../../config/schema.js';
import type { DecodeResult } from './identity.js';

const compiled = new Map<string, RegExp>();
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

function regex(pattern: string): RegExp {
  let r = compiled.get(pattern);
  if (!r) {
    r = new RegExp(`^(?:${pattern})$`, 'u');
    compiled.set(pattern, r);
  }
  return r;
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
    const uri = p.uri.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
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
