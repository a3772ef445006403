/**
 * `npm run bench [section ...]`: runs every section in bench/sections (or the
 * named ones). Each section measures Sluice against a peer in the same run,
 * prints a table and writes bench/results/<section>.json. Never part of CI.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Options (`--profile`) are for the sections; the other arguments name sections.
const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('--')));
const sections = readdirSync(join(here, 'sections'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => basename(f, '.ts'))
  .filter((name) => wanted.size === 0 || wanted.has(name))
  .sort();

for (const name of sections) {
  const section = (await import(pathToFileURL(join(here, 'sections', `${name}.ts`)).href)) as {
    run: () => Promise<void>;
  };
  console.log(`\n## ${name}\n`);
  await section.run();
}
