/**
 * Every relative link in the repository's Markdown resolves: to a file or
 * folder inside the repository (someone who clones it can follow it), and
 * a `#fragment` to a heading of the file it points to (GitHub's anchors).
 * Links to other sites are not fetched.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
/** Not the repository's own text: dependencies, build output, reports. */
const SKIP = new Set(['node_modules', 'dist', 'test-results', 'coverage']);

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdownFiles(path));
    else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out.sort();
}

/** The text outside code: links inside code blocks and spans are examples, not links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Targets of inline links and images `[t](target "title")` and of definitions `[id]: target`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    targets.push(m[1] as string);
  }
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm))
    targets.push(m[1] as string);
  return targets;
}

/** GitHub's anchor for each heading (lower case, punctuation dropped, spaces as '-', repeats numbered). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const heading = (m[1] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*_]/g, (c) => (c === '_' ? c : ''));
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const FILES = markdownFiles(ROOT);

describe('links in Markdown', () => {
  it('finds the documentation', () => {
    const names = FILES.map((f) => relative(ROOT, f));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'bench/README.md', 'docs/ARCHITECTURE.md']));
  });

  it.each(FILES.map((f) => relative(ROOT, f)))(
    '%s: every relative link resolves inside the repository',
    (name) => {
      const file = join(ROOT, name);
      const broken: string[] = [];
      for (const target of linkTargets(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: another site
        const [rawPath = '', fragment] = target.split('#', 2);
        const path = decodeURIComponent(rawPath);
        const resolved = path === '' ? file : resolve(dirname(file), path);
        if (relative(ROOT, resolved).startsWith('..')) {
          broken.push(`${target}: outside the repository`);
          continue;
        }
        if (!existsSync(resolved)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile()) {
          if (!anchors(readFileSync(resolved, 'utf8')).has(fragment))
            broken.push(`${target}: no such heading`);
        }
      }
      expect(broken).toEqual([]);
    },
  );
});

describe('Markdown files named in the documentation', () => {
  const present = new Set(FILES.map((f) => f.slice(f.lastIndexOf('/') + 1)));

  it.each(FILES.map((f) => relative(ROOT, f)))('%s names only Markdown files the repository has', (name) => {
    const text = readFileSync(join(ROOT, name), 'utf8');
    // A reference such as "DESIGN.md §3" in plain text is a link too, for a reader who wants to follow it.
    const named = [...text.matchAll(/\b([\w.-]+\.md)\b/g)].map((m) => m[1] as string);
    expect(named.filter((n) => !present.has(n))).toEqual([]);
  });
});

describe('the link checker itself', () => {
  it('reads links, images and definitions, not code', () => {
    const md = [
      'See [the design](docs/A.md#layers) and ![chart](r/c.svg "Chart").',
      '[id]: <other/B.md>',
      '`[not](a-link.md)`',
      '```',
      '[neither](x.md)',
      '```',
    ].join('\n');
    expect(linkTargets(md)).toEqual(['docs/A.md#layers', 'r/c.svg', 'other/B.md']);
  });

  it('names headings as GitHub does', () => {
    const md =
      '# Sluice\n## `createGovernor(config, options)`\n### Configuration\n## Reserve, then settle\n### Configuration\n';
    expect([...anchors(md)]).toEqual([
      'sluice',
      'creategovernorconfig-options',
      'configuration',
      'reserve-then-settle',
      'configuration-1',
    ]);
  });
});
