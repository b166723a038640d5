/**
 * Writes config/readpoint.schema.json from the one schema (`npm run schema`). A test fails when the
 * checked-in file differs from renderJsonSchema(), so editors never complete a stale key.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './load.js';

export function renderJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  // dist/config/write-json-schema.js -> <repo>/config/readpoint.schema.json
  const target = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'readpoint.schema.json');
  writeFileSync(target, renderJsonSchema());
  process.stdout.write(`wrote ${target}\n`);
}
