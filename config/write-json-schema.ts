/**
 * Writes config/readpoint.schema.json and the configuration reference in docs/configuration.md from
 * the one schema (`npm run schema`). Tests fail when either is stale, so neither editors nor the
 * docs drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './json-schema.js';
import { renderReference } from './reference.js';

const START = '<!-- config-reference:start (npm run schema writes this) -->';
const END = '<!-- config-reference:end -->';

/** The page, relative to the repository, that holds the generated configuration reference. */
export const REFERENCE_PAGE = 'docs/configuration.md';

/** The configuration page with its reference section rendered anew. */
export function renderReferencePage(page: string): string {
  const from = page.indexOf(START);
  const to = page.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${REFERENCE_PAGE} has no configuration reference markers`);
  return `${page.slice(0, from + START.length)}\n${renderReference()}\n${page.slice(to)}`;
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  // dist/config/write-json-schema.js -> <repo>/config/readpoint.schema.json
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const target = join(repo, 'config', 'readpoint.schema.json');
  writeFileSync(target, renderJsonSchema());
  const page = join(repo, REFERENCE_PAGE);
  writeFileSync(page, renderReferencePage(readFileSync(page, 'utf8')));
  process.stdout.write(`wrote ${target} and the configuration reference in ${page}\n`);
}
