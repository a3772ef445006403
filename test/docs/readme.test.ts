/**
 * The README opens with the two commands a newcomer runs first, exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README', () => {
  it('opens with `npm ci && npm start` and `npm ci && npm test`', () => {
    const lines = readFileSync('README.md', 'utf8').split('\n');
    expect(lines[0]).toBe('# Sluice');
    const fence = lines.findIndex((l) => l.startsWith('```'));
    expect(lines[fence]).toBe('```sh');
    expect(lines.slice(1, fence).every((l) => l.trim() === '')).toBe(true);
    const commands = lines
      .slice(fence + 1, lines.indexOf('```', fence + 1))
      .map((l) => l.split('#')[0]?.trim());
    expect(commands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
  });
});
