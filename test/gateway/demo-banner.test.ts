/**
 * `npm start` prints an `openai` SDK snippet to paste. It must run exactly as
 * printed: here it is taken from the demo's own banner and run in a shell,
 * in a fresh folder where `openai` is installed but no package.json says
 * `"type": "module"` (a user's folder, not this repository), against the
 * demo gateway.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../../src/gateway/demo.js';
import { memoryLogger } from './helpers.js';

let demo: Demo | undefined;
let folder: string | undefined;
afterEach(async () => {
  await demo?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
  demo = undefined;
  folder = undefined;
});

/** The lines under the banner's "openai SDK" heading, up to the next blank line, as the user copies them. */
function sdkSnippet(lines: readonly string[]): string {
  const heading = lines.findIndex((l) => l.includes('openai SDK'));
  expect(heading).toBeGreaterThan(0);
  const end = lines.indexOf('', heading + 1);
  return lines
    .slice(heading + 1, end)
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n');
}

describe('the demo banner', () => {
  it('prints an openai SDK snippet that runs as printed and gets an answer from the gateway', async () => {
    const logs: Record<string, unknown>[] = [];
    demo = await startDemo({ port: 0, env: {}, logger: memoryLogger(logs) });
    const snippet = sdkSnippet(demo.instructions);
    expect(snippet).toContain(demo.gateway.url);

    // A user's folder: the packages installed (linked from here), no package.json.
    folder = mkdtempSync(join(tmpdir(), 'sluice-banner-'));
    symlinkSync(resolve('node_modules'), join(folder, 'node_modules'), 'dir');
    // Rejects, with the shell's stderr, when the snippet exits non-zero.
    const run = await promisify(execFile)('sh', ['-c', snippet], { cwd: folder });
    expect(run.stderr).toBe('');
    // The demo simulator answers 40 lorem words.
    expect(run.stdout.trim().split(/\s+/).length).toBeGreaterThan(1);
    expect(logs.some((l) => l.tenant === 'demo-pro' && l.status === 200)).toBe(true);
  });
});
