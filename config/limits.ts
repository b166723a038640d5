/**
 * Bounds on the configuration file, checked before it is read whole or expanded: a file past them
 * is refused as a problem of the config (exit 1), never a crash or a stall while it is read.
 *
 * 256 KiB: the full production example (three readers) is about 4 KB, so a gateway with a
 * hundred readers stays under 150 KB; a larger file is not a configuration. Within 256 KiB the
 * YAML parser's worst case (nesting thousands of levels deep) still ends in about 2 s and 230 MB
 * with a positioned error; at 1 MiB it took 7 s and 620 MB, and a 50 MB file minutes and gigabytes.
 */
import { type Document, isAlias, isCollection, isPair, type Node } from 'yaml';
import { readBounded, TooLarge } from './bounded-read.js';

export const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * Values the document may hold once its aliases are expanded. A real config holds a few
 * thousand; a billion-laughs file (aliases of aliases) expands to billions.
 */
export const MAX_CONFIG_VALUES = 100_000;

/** The file's text, read only when it is within MAX_CONFIG_BYTES (also a pipe or device: never more). */
export async function readConfigText(file: string): Promise<string> {
  try {
    return (await readBounded(file, MAX_CONFIG_BYTES)).toString('utf8');
  } catch (err) {
    if (err instanceof TooLarge)
      throw new Error(
        `it is ${err.size}, larger than a configuration may be (${MAX_CONFIG_BYTES} bytes, 256 KiB)`,
      );
    throw err;
  }
}

/**
 * The first alias at which the document, expanded, holds more than MAX_CONFIG_VALUES values, or
 * undefined. Each anchored node's expanded size is counted once, so the check itself stays linear.
 */
export function overExpandingAlias(doc: Document): Node | undefined {
  const sizes = new Map<Node, number>();
  const sizeOf = (node: unknown, depth: number): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc) as Node | undefined;
      return target ? sizeOf(target, depth) : 1;
    }
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    // An anchor inside its own expansion (a cycle) is refused by the parser; depth is a backstop.
    if (depth > 1000) return Number.POSITIVE_INFINITY;
    let size = 1;
    for (const item of node.items) {
      const parts = isPair(item) ? [item.key, item.value] : [item];
      for (const part of parts) size += sizeOf(part, depth + 1);
    }
    sizes.set(node, size);
    return size;
  };
  // In document order, the alias whose expansion brings the running total over the limit.
  let total = 0;
  let culprit: Node | undefined;
  const walk = (node: unknown): void => {
    if (culprit) return;
    if (isAlias(node)) {
      total += sizeOf(node, 0);
      if (total > MAX_CONFIG_VALUES) culprit = node;
      return;
    }
    total++;
    if (!isCollection(node)) return;
    for (const item of node.items) {
      if (isPair(item)) {
        walk(item.key);
        walk(item.value);
      } else walk(item);
    }
  };
  walk(doc.contents);
  return culprit;
}
