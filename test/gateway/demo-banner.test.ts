/**
 * `npm start` prints snippets to paste: chat with the `openai` SDK, Gemini
 * with `@google/genai`, embeddings with `openai`. Each must run exactly as
 * printed: here they are taken from the demo's own banner and run in a
 * shell, in a fresh folder where the SDKs are installed but no package.json
 * says `"type": "module"` (a user's folder, not this repository), against
 * the demo gateway and its built-in simulator.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../../src/gateway/demo.js';
import { memoryLogger } from './helpers.js';
import { testDataDir } from './test-gateway.js';

let demo: Demo;
let folder: string;
const logs: Record<string, unknown>[] = [];
beforeAll(async () => {
  demo = await startDemo({ port: 0, env: {}, logger: memoryLogger(logs), dataDir: testDataDir() });
  // A user's folder: the packages installed (linked from here), no package.json.
  folder = mkdtempSync(join(tmpdir(), 'sluice-banner-'));
  symlinkSync(resolve('node_modules'), join(folder, 'node_modules'), 'dir');
});
afterAll(async () => {
  await demo?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** The lines under the first banner heading that includes `heading`, up to the next blank line, as the user copies them. */
function snippet(heading: string): string {
  const lines = demo.instructions;
  const at = lines.findIndex((l) => l.includes(heading));
  expect(at, heading).toBeGreaterThan(0);
  const end = lines.indexOf('', at + 1);
  return lines
    .slice(at + 1, end)
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n');
}

/** Runs a snippet as a user would; rejects, with the shell's stderr, when it exits non-zero. */
async function run(code: string): Promise<string> {
  expect(code).toContain(demo.gateway.url);
  const { stdout, stderr } = await promisify(execFile)('sh', ['-c', code], { cwd: folder });
  expect(stderr).toBe('');
  return stdout.trim();
}

const served = (group: string) =>
  logs.some((l) => l.tenant === 'demo-pro' && l.group === group && l.status === 200);

describe('the demo banner', () => {
  it('names every API and model group the demo serves', () => {
    const banner = demo.instructions.join('\n');
    for (const text of [
      'OpenAI API',
      'Anthropic API',
      'Gemini API',
      ':countTokens',
      ':embedContent',
      'gpt-4o-mini → simulator',
      'claude-haiku → simulator',
      'gemini-2.5-flash → simulator',
      'text-embedding-3-small → simulator',
    ]) {
      expect(banner).toContain(text);
    }
  });

  it('prints an openai SDK chat snippet that runs as printed and gets an answer from the gateway', async () => {
    const out = await run(snippet('or with the openai SDK'));
    // The demo simulator answers 40 lorem words.
    expect(out.split(/\s+/).length).toBeGreaterThan(1);
    expect(served('gpt-4o-mini')).toBe(true);
  });

  it('prints a @google/genai snippet that gets an answer from the demo’s Gemini group', async () => {
    const out = await run(snippet('@google/genai SDK'));
    expect(out.split(/\s+/).length).toBeGreaterThan(1);
    expect(served('gemini-2.5-flash')).toBe(true);
  });

  it('prints a snippet where the openai SDK gets an answer from the demo’s Anthropic group, translated', async () => {
    const out = await run(snippet('Any API in front of any provider'));
    // The answer names the upstream's model: Claude answered an OpenAI-format call.
    expect(out).toMatch(/^claude-3-5-haiku-latest \S+/);
    expect(served('claude-haiku')).toBe(true);
  });

  it('prints an embeddings snippet that gets a vector from the demo’s embeddings group', async () => {
    const out = await run(snippet('Embeddings, with the openai SDK'));
    expect(out).toMatch(/^1536 dimensions, \d+ tokens$/);
    expect(served('text-embedding-3-small')).toBe(true);
  });
});
