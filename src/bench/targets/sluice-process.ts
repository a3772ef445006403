/**
 * Runs a `sluice` subcommand in its own process: from the built package
 * (`dist/cli/main.js`) when this file runs from `dist`, else from the
 * sources through tsx (the repository's benchmarks).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildOptions, type ChildServer, startChild } from './process.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The node arguments that start `sluice <args>` (`SLUICE_BENCH_CLI` names another build's main file). */
export function sluiceCommand(args: readonly string[]): string[] {
  const other = process.env.SLUICE_BENCH_CLI;
  if (other) return other.endsWith('.ts') ? ['--import', 'tsx', other, ...args] : [other, ...args];
  const built = join(here, '..', '..', 'cli', 'main.js');
  if (existsSync(built)) return [built, ...args];
  const source = join(here, '..', '..', 'cli', 'main.ts');
  return ['--import', 'tsx', source, ...args];
}

export function startSluice(args: readonly string[], options: ChildOptions = {}): ChildServer {
  return startChild(process.execPath, sluiceCommand(args), options);
}
