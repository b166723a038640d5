/**
 * Renders the configuration reference (the table in docs/configuration.md) from the one schema, so
 * the documentation cannot drift from what the loader accepts. A test compares it with that page.
 */
import type { TSchema } from '@sinclair/typebox';
import { Config } from './schema.js';

interface Row {
  key: string;
  type: string;
  fallback: string;
  description: string;
}

const branchesOf = (s: TSchema): TSchema[] =>
  s.type === 'object'
    ? [s]
    : s.anyOf && (s.anyOf as TSchema[]).every((b) => b.type === 'object')
      ? (s.anyOf as TSchema[])
      : [];

function typeOf(s: TSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return (s.anyOf as TSchema[]).map(typeOf).join(' \\| ');
  if (s.type === 'array') return `list of ${typeOf(s.items as TSchema)}`;
  return String(s.type);
}

function leaf(s: TSchema, key: string, required: boolean): Row {
  const limits = [
    s.pattern && !s.description ? `Pattern \`${s.pattern}\`.` : '',
    s.minimum !== undefined ? `Min ${s.minimum}.` : '',
    s.maximum !== undefined ? `Max ${s.maximum}.` : '',
  ];
  return {
    key,
    type: typeOf(s),
    fallback: s.default !== undefined ? JSON.stringify(s.default) : required ? 'required' : '',
    description: [s.description ?? '', ...limits].filter(Boolean).join(' '),
  };
}

function walkObject(branches: TSchema[], prefix: string, rows: Row[]): void {
  const listed = new Set<string>();
  for (const branch of branches) {
    const required = new Set((branch.required as string[] | undefined) ?? []);
    const properties = branch.properties as Record<string, TSchema>;
    const driver = properties.driver?.const;
    if (branches.length > 1 && driver !== undefined) {
      rows.push({
        key: `${prefix} with driver: ${driver}`,
        type: '',
        fallback: '',
        description: branch.description ?? '',
      });
    }
    for (const [name, child] of Object.entries(properties)) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (listed.has(key) && name !== 'driver') continue;
      listed.add(key);
      walk(child, key, required.has(name), rows);
    }
  }
}

function walk(s: TSchema, key: string, required: boolean, rows: Row[]): void {
  if (s.type === 'array') {
    const items = branchesOf(s.items as TSchema);
    if (items.length === 0) {
      rows.push(leaf(s, key, required));
      return;
    }
    const fallback = s.default !== undefined ? JSON.stringify(s.default) : required ? 'required' : '';
    rows.push({
      key,
      type: 'list',
      fallback,
      description: s.description ?? (s.items as TSchema).description ?? '',
    });
    walkObject(items, `${key}[]`, rows);
    return;
  }
  if (s.type === 'object') {
    rows.push({
      key,
      type: 'section',
      fallback: required ? 'required' : '',
      description: s.description ?? '',
    });
    walkObject([s], key, rows);
    return;
  }
  rows.push(leaf(s, key, required));
}

export function renderReference(): string {
  const rows: Row[] = [];
  walkObject([Config], '', rows);
  const cell = (t: string) => t.replaceAll('|', '\\|').replaceAll('<', '&lt;');
  return [
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.key}\` | ${r.type} | ${r.fallback ? `\`${r.fallback}\`` : ''} | ${cell(r.description)} |`,
    ),
  ].join('\n');
}
