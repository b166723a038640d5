/**
 * Writes config/readpoint.schema.json and the README's configuration reference from the one schema
 * (`npm run schema`). Tests fail when either is stale, so neither editors nor the docs drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './load.js';
import { renderReference } from './reference.js';

const START = '<!-- config-reference:start (npm run schema writes this) -->';
const END = '<!-- config-reference:end -->';

/** The README with its configuration reference section rendered anew. */
export function renderReadme(readme: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error('README.md has no configuration reference markers');
  return `${readme.slice(0, from + START.length)}\n${renderReference()}\n${readme.slice(to)}`;
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  // dist/config/write-json-schema.js -> <repo>/config/readpoint.schema.json
  const target = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'readpoint.schema.json');
  writeFileSync(target, renderJsonSchema());
  const readme = join(dirname(target), '..', 'README.md');
  writeFileSync(readme, renderReadme(readFileSync(readme, 'utf8')));
  process.stdout.write(`wrote ${target} and the configuration reference in ${readme}\n`);
}
