import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/schemas.js';

/** README.md, CHANGELOG.md and every page under docs/, as paths relative to the repository. */
const pages = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Markdown without its fenced code blocks and inline code, where links are not links. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor of a page, numbered as GitHub numbers repeated headings (-1, -2, ...). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} +(.+)$/gm)) {
    const base = anchorOf(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  page: string;
  target: string;
}

/** Relative links of a page: [text](target), without URLs with a scheme or mail links. */
function relativeLinks(page: string): Link[] {
  const text = prose(readFileSync(join(repoRoot, page), 'utf8'));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t))
    .map((target) => ({ page, target }));
}

/** Why a link does not resolve, or undefined when it does. */
function brokenBecause({ page, target }: Link): string | undefined {
  const [path = '', anchor] = target.split('#');
  const file = path === '' ? join(repoRoot, page) : join(repoRoot, dirname(page), path);
  if (!existsSync(file)) return `${relative(repoRoot, file)} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `#${anchor} on a file that is not a page`;
  const anchors = anchorsOf(readFileSync(file, 'utf8'));
  return anchors.has(anchor) ? undefined : `${relative(repoRoot, file)} has no heading #${anchor}`;
}

describe('links between README.md, CHANGELOG.md and docs/', () => {
  it('finds the pages and their links', () => {
    expect(pages).toContain('docs/configuration.md');
    expect(pages).toContain('docs/topics-and-payloads.md');
    expect(relativeLinks('README.md').length).toBeGreaterThan(20);
  });

  it.each(pages)('every relative link in %s points at an existing file and heading', (page) => {
    const broken = relativeLinks(page)
      .map((link) => ({ link, why: brokenBecause(link) }))
      .filter((b) => b.why !== undefined)
      .map((b) => `${page}: (${b.link.target}) ${b.why}`);
    expect(broken).toEqual([]);
  });

  it('every page under docs/, and the changelog, is linked from the README', () => {
    const linked = new Set(relativeLinks('README.md').map((l) => l.target.split('#')[0]));
    expect(pages.filter((p) => p !== 'README.md' && !linked.has(p))).toEqual([]);
  });

  it('makes anchors as GitHub does', () => {
    expect(anchorOf("Finding a reader's port: `readpoint ports`")).toBe(
      'finding-a-readers-port-readpoint-ports',
    );
    expect(anchorOf('`readpoint tail --dedup`')).toBe('readpoint-tail---dedup');
    expect(anchorOf('A full disk, or a failing store')).toBe('a-full-disk-or-a-failing-store');
    expect([...anchorsOf('# A\n## Usage\n```\n# not a heading\n```\n## Usage\n')]).toEqual([
      'a',
      'usage',
      'usage-1',
    ]);
  });

  it('reports a link to a missing page or heading', () => {
    expect(brokenBecause({ page: 'README.md', target: 'docs/nothing-here.md' })).toBe(
      'docs/nothing-here.md does not exist',
    );
    expect(brokenBecause({ page: 'docs/operations.md', target: 'durability.md#no-such-heading' })).toBe(
      'docs/durability.md has no heading #no-such-heading',
    );
    expect(
      brokenBecause({ page: 'docs/operations.md', target: 'durability.md#fault-matrix' }),
    ).toBeUndefined();
  });
});
