import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerBench, scenarioPath } from '../../src/cli/commands/bench.js';

function program(): { cmd: Command; errors: string[] } {
  const errors: string[] = [];
  const cmd = new Command('sluice').exitOverride();
  cmd.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
  registerBench(cmd);
  for (const sub of cmd.commands) {
    sub.exitOverride();
    sub.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
  }
  return { cmd, errors };
}

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describe('sluice bench command line', () => {
  it('finds scenarios by name under bench/scenarios', () => {
    expect(scenarioPath('smoke')).toBe('bench/scenarios/smoke.yaml');
    expect(() => scenarioPath('no-such-scenario')).toThrow(/no scenario file no-such-scenario/);
  });

  it('rejects an unknown target and names the known ones', async () => {
    const { cmd, errors } = program();
    await expect(cmd.parseAsync(['bench', '-s', 'smoke', '-t', 'nginx'], { from: 'user' })).rejects.toThrow();
    expect(errors.join('')).toContain(
      'unknown target "nginx"; one of direct, fallback, bottleneck, library, gateway, portkey',
    );
  });

  it('rejects a duration it cannot read', async () => {
    const { cmd, errors } = program();
    await expect(
      cmd.parseAsync(['bench', '-s', 'smoke', '-t', 'library', '-d', 'soon'], { from: 'user' }),
    ).rejects.toThrow();
    expect(errors.join('')).toContain('cannot read duration');
  });

  it('prints a scenario error and sets exit code 2', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { cmd } = program();
    await cmd.parseAsync(['bench', '-s', 'no-such-scenario', '-t', 'library'], { from: 'user' });
    expect(process.exitCode).toBe(2);
    expect(error.mock.calls.flat().join(' ')).toContain('no scenario file');
  });
});
