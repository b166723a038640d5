/**
 * The console's own files (daemon/console/www) and uPlot's, read once at start and served from
 * memory: nothing is read from disk per request, and no path from a request reaches the disk.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

export type StaticFiles = ReadonlyMap<string, StaticFile>;

/** The pages: beside this file in the repository, also when run from dist/. */
const WWW = import.meta.url.endsWith('.ts')
  ? fileURLToPath(new URL('./www/', import.meta.url))
  : fileURLToPath(new URL('../../../daemon/console/www/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const OWN = ['index.html', 'console.js', 'charts.js', 'console.css'];

export async function loadStaticFiles(): Promise<StaticFiles> {
  const files = new Map<string, StaticFile>();
  const add = async (url: string, path: string) => {
    files.set(url, { body: await readFile(path), type: TYPES[path.slice(path.lastIndexOf('.') + 1)]! });
  };
  for (const name of OWN) await add(`/${name}`, join(WWW, name));
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
  await add('/vendor/uPlot.esm.js', join(uplot, 'uPlot.esm.js'));
  await add('/vendor/uPlot.min.css', join(uplot, 'uPlot.min.css'));
  return files;
}
