/** Canonical GS1 Digital Link URIs (https://id.gs1.org/...) from decoded AIs. */
import type { Element } from './element-string.js';

const ORIGIN = 'https://id.gs1.org';

/** Percent-encodes all but the URI unreserved characters (A-Z a-z 0-9 - . _ ~). */
export function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const PATH_OF: Record<string, readonly string[]> = { '01': ['22', '10', '21'], '8006': ['22', '10', '21'] };

/** The canonical URI: primary key, its qualifiers in order in the path, other AIs in the query. */
export function digitalLink(elements: readonly Element[], primary: string): string {
  const value = (ai: string) => elements.find((e) => e.ai === ai)?.value;
  const qualifiers = PATH_OF[primary] ?? [];
  let uri = `${ORIGIN}/${primary}/${encodeSegment(value(primary) ?? '')}`;
  for (const q of qualifiers) {
    const v = value(q);
    if (v !== undefined) uri += `/${q}/${encodeSegment(v)}`;
  }
  const query = elements
    .filter((e) => e.ai !== primary && !qualifiers.includes(e.ai))
    .sort((a, b) => (a.ai < b.ai ? -1 : 1))
    .map((e) => `${e.ai}=${encodeSegment(e.value)}`);
  return query.length > 0 ? `${uri}?${query.join('&')}` : uri;
}

/** The URI naming one unit in epcList: the key and its serial, without attributes. */
export function unitLink(primary: string, key: string, serialAi?: string, serial?: string): string {
  return `${ORIGIN}/${primary}/${encodeSegment(key)}${serialAi && serial !== undefined ? `/${serialAi}/${encodeSegment(serial)}` : ''}`;
}
