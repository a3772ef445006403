import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenario, ScenarioError } from '../../src/bench/scenario.js';
import { arrivalRate, meanRequestTokens, planWorkload } from '../../src/bench/workload.js';

const minimal = {
  arrival: { process: 'steady', load: 2 },
  prompt_tokens: 100,
  output_tokens: { dist: 'uniform', min: 10, max: 50 },
  max_tokens: 64,
  provider: { limits: { rpm: 600, tpm: 60_000 } },
};

describe('scenarios', () => {
  it('fill defaults and read durations', () => {
    const s = parseScenario({ ...minimal, duration: '2m', drain: 5 }, 'test', 'mini');
    expect(s.name).toBe('mini');
    expect(s.duration).toBe(120_000);
    expect(s.drain).toBe(5_000);
    expect(s.tenants).toEqual([{ name: 'default', share: 1 }]);
    expect(s.priorities).toEqual({ normal: 1 });
    expect(s.prime).toBe(true);
  });

  it('name the key path of every problem', () => {
    const bad = {
      ...minimal,
      arrival: { process: 'bursty', load: 2 },
      prompt_tokens: { dist: 'uniform', min: 50, max: 10 },
      surprise: true,
    };
    expect(() => parseScenario(bad, 'bad.yaml')).toThrow(ScenarioError);
    try {
      parseScenario(bad, 'bad.yaml');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('bad.yaml is invalid');
      expect(message).toContain('arrival.on');
      expect(message).toContain('prompt_tokens');
      expect(message).toContain('surprise');
    }
  });

  it('check references between keys', () => {
    expect(() => parseScenario({ ...minimal, tenants: [{ name: 'a', tier: 'gold', share: 1 }] })).toThrow(
      /tenants\.0\.tier: unknown tier "gold"/,
    );
    expect(() => parseScenario({ ...minimal, arrival: { process: 'steady', rate: 1, load: 2 } })).toThrow(
      /exactly one of rate/,
    );
    expect(() => parseScenario({ ...minimal, priorities: { low: 0 } })).toThrow(/at least one class/);
  });

  it('turn load into a rate from the mean request size', () => {
    const s = parseScenario(minimal);
    expect(meanRequestTokens(s)).toBe(100 + 11 + 30);
    expect(arrivalRate(s)).toBeCloseTo((2 * 60_000) / 60 / 141);
  });

  it('plan the same workload for the same seed', () => {
    const s = parseScenario({
      ...minimal,
      tenants: [
        { name: 'a', share: 3 },
        { name: 'b', share: 1 },
      ],
      priorities: { critical: 1, low: 1 },
      max_wait: { critical: '2s' },
      stream: 0.5,
    });
    const one = planWorkload(s, { durationMs: 30_000 });
    expect(planWorkload(s, { durationMs: 30_000 })).toEqual(one);
    expect(planWorkload({ ...s, seed: 2 }, { durationMs: 30_000 })).not.toEqual(one);
    const a = one.filter((r) => r.tenant === 'a').length / one.length;
    expect(a).toBeGreaterThan(0.6);
    expect(a).toBeLessThan(0.9);
    expect(one.filter((r) => r.priority === 'critical').every((r) => r.maxWaitMs === 2_000)).toBe(true);
    expect(one.every((r) => r.outputTokens <= 64 && r.outputTokens >= 10)).toBe(true);
  });

  it('load from YAML files named after the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-scenario-'));
    const file = join(dir, 'tiny.yaml');
    await writeFile(
      file,
      'arrival: { process: steady, rate: 1 }\nprompt_tokens: 10\noutput_tokens: 5\nmax_tokens: 8\n',
    );
    expect((await loadScenarioFile(file)).name).toBe('tiny');
    await writeFile(file, 'arrival: [\n');
    await expect(loadScenarioFile(file)).rejects.toThrow(/not valid YAML/);
    await expect(loadScenarioFile(join(dir, 'none.yaml'))).rejects.toThrow(/cannot read/);
  });

  it('ship valid scenario files', async () => {
    for (const name of [
      'smoke',
      'burst-3x',
      'heavy-tenant',
      'priorities',
      'shared-key',
      'three-instances',
      'batch-beside-interactive',
    ]) {
      const s = await loadScenarioFile(join('bench', 'scenarios', `${name}.yaml`));
      expect(s.name).toBe(name);
    }
  });

  it('run one Sluice instance unless told more, and pin tenants only to instances that exist', () => {
    expect(parseScenario(minimal).sluice.instances).toBe(1);
    const three = parseScenario({
      ...minimal,
      sluice: { instances: 3 },
      tenants: [
        { name: 'heavy', share: 3, instance: 0 },
        { name: 'light', share: 1, instance: 2 },
        { name: 'anywhere', share: 1 },
      ],
    });
    expect(three.sluice.instances).toBe(3);
    expect(three.tenants.map((t) => t.instance)).toEqual([0, 2, undefined]);
    expect(() =>
      parseScenario({ ...minimal, tenants: [{ name: 'a', share: 1, instance: 1 }] }, 'one.yaml'),
    ).toThrow(/tenants\.0\.instance: 1 is not one of sluice\.instances \(0 to 0\)/);
    expect(() => parseScenario({ ...minimal, sluice: { instances: 0 } }, 'zero.yaml')).toThrow(
      /sluice\.instances/,
    );
    expect(() => parseScenario({ ...minimal, sluice: { instances: 1.5 } }, 'half.yaml')).toThrow(
      /sluice\.instances/,
    );
    expect(() => parseScenario({ ...minimal, tenants: [{ name: 'a', share: 1, instance: -1 }] })).toThrow(
      /tenants\.0\.instance/,
    );
  });

  it('read the three-instance scenario as shipped', async () => {
    const s = await loadScenarioFile(join('bench', 'scenarios', 'three-instances.yaml'));
    expect(s.sluice.instances).toBe(3);
    expect(Object.fromEntries(s.tenants.map((t) => [t.name, t.instance]))).toEqual({
      heavy: 0,
      'light-1': 1,
      'light-2': 2,
      app: undefined,
    });
    expect(s.priorities.critical).toBeGreaterThan(0);
    expect(s.priorities.low).toBeGreaterThan(0);
  });
});
