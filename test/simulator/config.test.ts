/** Configuration: strict schema, YAML files, flags, and the `sluice simulate` command itself. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeSimulator } from '../../src/simulator/describe.js';
import {
  loadSimulatorConfigFile,
  parseSimulatorConfig,
  SimulatorConfigError,
  startSimulator,
} from '../../src/simulator/index.js';

describe('simulator configuration', () => {
  it('fills defaults', () => {
    const config = parseSimulatorConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      seed: 42,
      auth: 'any',
      response: { mode: 'lorem', tokens: 20 },
      latency: { ttft_ms: 0, per_token_ms: 0, jitter: 0 },
      openai: { reconcile: true, charge_rejected: true },
      anthropic: { otpm: 'produced', round_remaining: true },
      faults: [],
    });
  });

  it('rejects unknown keys and bad values, naming the key path', () => {
    const run = (input: unknown) => {
      try {
        parseSimulatorConfig(input, 'sim.yaml');
      } catch (error) {
        expect(error).toBeInstanceOf(SimulatorConfigError);
        return (error as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(run({ keys: { 'sk-1': { models: { 'gpt-4o': { rpn: 5 } } } } })).toMatch(
      /^sim\.yaml is invalid:\n {2}keys\.sk-1\.models\.gpt-4o: Unrecognized key: "rpn"/,
    );
    expect(run({ latency: { ttft_ms: -1 } })).toContain('latency.ttft_ms');
    expect(run({ faults: [{ kind: 'meltdown', rate: 0.1 }] })).toContain('faults.0.kind');
    expect(run({ faults: [{ kind: 503 }] })).toContain('a fault needs a trigger');
  });

  it('loads YAML files, numeric fault kinds included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sim-'));
    const file = join(dir, 'sim.yaml');
    await writeFile(
      file,
      [
        'seed: 3',
        'keys:',
        '  sk-test:',
        '    models:',
        '      gpt-4o-mini: { rpm: 500, tpm: 200000, concurrency: 50 }',
        'response: { mode: lorem, tokens: 50 }',
        'faults:',
        '  - { kind: 503, rate: 0.01 }',
        '  - { kind: reset_mid_stream, at: [3, 7] }',
        'background: { key: sk-test, model: gpt-4o-mini, tpm: 50000 }',
      ].join('\n'),
    );
    const input = await loadSimulatorConfigFile(file);
    const sim = await startSimulator(input);
    try {
      expect(sim.config.faults[0]?.kind).toBe('503');
      const text = describeSimulator(sim.config, sim.url).join('\n');
      expect(text).toContain('sk-test / gpt-4o-mini: rpm 500, tpm 200000, concurrency 50');
      expect(text).toContain('Fault: 503 rate 0.01');
      expect(text).toContain('Other clients on sk-test / gpt-4o-mini: tpm 50000');
    } finally {
      await sim.close();
    }
    await expect(loadSimulatorConfigFile(join(dir, 'missing.yaml'))).rejects.toThrow(SimulatorConfigError);
  });
});

describe('sluice simulate', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints what it serves, applies the limits given as flags, and stops on SIGTERM', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'simulate', '--port', '0', '--rpm', '1', '--tokens', '3'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed; got: ${out}`)), 20_000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        // Wait for the end of the line: a chunk may end in the middle of the port number.
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child?.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    await expect.poll(() => out).toContain('every key × model: rpm 1');
    const call = () =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-1' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
      });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(429);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
