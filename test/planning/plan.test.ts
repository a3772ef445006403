/**
 * `sluice plan`'s arithmetic (issue 21): seed 004's worked example exactly,
 * and properties over generated groups and workloads (demand × size against
 * each dimension, the margin, deployments summed, pools shared), plus the
 * command's output and exit status.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GovernorFields } from '../../src/config/governor-schema.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import { plan } from '../../src/planning/plan.js';
import { planJson, planText } from '../../src/planning/plan-report.js';
import { parseWorkloadText, toWorkload } from '../../src/planning/workload.js';

function config(
  deployments: {
    limits: Record<string, number>;
    pools?: string[];
    price?: { input_per_mtok: number; output_per_mtok: number };
  }[],
  extra: { pools?: Record<string, Record<string, number>>; safety_margin?: number } = {},
): GovernorFields {
  return parseConfig(
    {
      model_groups: {
        claude: {
          deployments: deployments.map((d, i) => ({
            id: `d${i}`,
            provider: 'anthropic',
            base_url: 'https://api.anthropic.com',
            model: 'claude-sonnet-4',
            ...d,
          })),
        },
      },
      tenants: [{ id: 'acme', key: 'sk-acme-123456' }],
      ...extra,
    },
    'plan test',
    {},
  );
}

const SEED_004 = toWorkload({
  group: 'claude',
  requests_per_minute: 100,
  input_tokens: 3_000,
  output_tokens: 500,
});

describe('sluice plan: seed 004', () => {
  it('needs 300,000 ITPM and 50,000 OTPM; against 2,000 RPM, 160,000 ITPM and 32,000 OTPM input and output tokens bind', () => {
    const p = plan(config([{ limits: { rpm: 2_000, itpm: 160_000, otpm: 32_000 } }]), SEED_004);
    expect(p.fits).toBe(false);
    expect(p.binding).toEqual(['itpm', 'otpm']);
    const json = planJson(p) as { dimensions: { dimension: string; demand: number; capacity: number }[] };
    expect(json.dimensions.map((d) => [d.dimension, d.demand, d.capacity])).toEqual([
      ['itpm', 300_000, 144_000],
      ['otpm', 50_000, 28_800],
      ['rpm', 100, 1_800],
    ]);
    expect(p.deploymentsNeeded).toBe(3);
    expect(p.rows.find((r) => r.dimension === 'itpm')?.limitNeeded).toBe(333_334);
    const text = planText(p);
    expect(text).toContain('Does not fit: itpm (208 %), otpm (174 %).');
    expect(text).toContain(
      'Would fit with: 3 deployments like the current ones (1 now); or limits of itpm ≥ 333,334, otpm ≥ 55,556.',
    );
  });

  it('prices a month of the workload at the deployments’ prices', () => {
    const p = plan(
      config([{ limits: { rpm: 2_000 }, price: { input_per_mtok: 3, output_per_mtok: 15 } }]),
      SEED_004,
    );
    // 100/min × 43,200 min × (3,000 × $3 + 500 × $15) / 1 M.
    expect(p.monthlyCostUsd).toBeCloseTo(71_280, 6);
    expect(p.fits).toBe(true);
  });
});

describe('sluice plan: arithmetic', () => {
  const limitsArb = fc.record(
    {
      rpm: fc.integer({ min: 1, max: 100_000 }),
      itpm: fc.integer({ min: 1, max: 10_000_000 }),
      otpm: fc.integer({ min: 1, max: 1_000_000 }),
      tpd: fc.integer({ min: 1, max: 1e9 }),
    },
    { requiredKeys: [] },
  );
  const workloadArb = fc.record({
    rpm: fc.double({ min: 0.1, max: 10_000, noNaN: true }),
    input: fc.integer({ min: 0, max: 200_000 }),
    output: fc.integer({ min: 0, max: 50_000 }),
  });

  it('compares demand × size with the summed limits after the margin, dimension by dimension', () => {
    fc.assert(
      fc.property(
        fc.array(limitsArb, { minLength: 1, maxLength: 4 }),
        workloadArb,
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (limits, w, margin) => {
          const p = plan(
            config(
              limits.map((l) => ({ limits: l })),
              { safety_margin: margin },
            ),
            toWorkload({
              group: 'claude',
              requests_per_minute: w.rpm,
              input_tokens: w.input,
              output_tokens: w.output,
            }),
          );
          const expected: Record<string, number> = {
            rpm: w.rpm,
            itpm: w.rpm * w.input,
            otpm: w.rpm * w.output,
            tpd: w.rpm * (w.input + w.output) * 1_440,
          };
          for (const dimension of Object.keys(expected)) {
            const declared = limits.map((l) => l[dimension as keyof typeof l]);
            const row = p.rows.find((r) => r.dimension === dimension);
            // A deployment without the limit leaves the group unlimited on it.
            if (declared.some((d) => d === undefined)) {
              expect(row).toBeUndefined();
              continue;
            }
            const capacity = (declared as number[]).reduce((a, b) => a + b, 0) * (1 - margin);
            expect(row?.demand).toBeCloseTo(expected[dimension] as number, 6);
            expect(row?.capacity).toBeCloseTo(capacity, 6);
            expect(row?.fits).toBe((expected[dimension] as number) <= capacity);
            // The limit it names would fit the demand.
            expect((row?.limitNeeded ?? 0) * limits.length * (1 - margin)).toBeGreaterThanOrEqual(
              (expected[dimension] as number) - 1e-6,
            );
          }
          expect(p.fits).toBe(p.rows.every((r) => r.fits));
          expect(p.binding).toEqual([...new Set(p.rows.filter((r) => !r.fits).map((r) => r.dimension))]);
          // Rows come worst first.
          for (let i = 1; i < p.rows.length; i++)
            expect((p.rows[i - 1]?.utilization ?? 0) >= (p.rows[i]?.utilization ?? 0)).toBe(true);
          // As many deployments like these as the worst deployment dimension needs would fit it.
          if (p.deploymentsNeeded !== undefined) {
            const worst = p.rows.find((r) => r.scope === 'deployments');
            expect(p.deploymentsNeeded / limits.length).toBeGreaterThanOrEqual(
              (worst?.utilization ?? 0) - 1e-9,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts the safety margin: 95 requests a minute do not fit a 100 RPM limit with 10 % kept back', () => {
    const w = toWorkload({ group: 'claude', requests_per_minute: 95, input_tokens: 1, output_tokens: 1 });
    const p = plan(config([{ limits: { rpm: 100 } }]), w);
    expect(p.rows[0]).toMatchObject({
      dimension: 'rpm',
      demand: 95,
      capacity: 90,
      limit: 100,
      fits: false,
      limitNeeded: 106,
    });
    expect(plan(config([{ limits: { rpm: 100 } }], { safety_margin: 0 }), w).fits).toBe(true);
  });

  it('checks a pool for what must flow through it beyond the group’s other deployments', () => {
    const p = plan(
      config(
        [
          { limits: { tpm: 100_000 }, pools: ['org'] },
          { limits: { tpm: 100_000 }, pools: ['org'] },
          { limits: { tpm: 50_000 } },
        ],
        { pools: { org: { tpm: 120_000 } }, safety_margin: 0 },
      ),
      toWorkload({ group: 'claude', requests_per_minute: 100, input_tokens: 1_500, output_tokens: 500 }),
    );
    // 200,000 tokens/min: the deployment outside the pool takes 50,000, so 150,000 must go through it.
    const pool = p.rows.find((r) => r.scope === 'pool org');
    expect(pool).toMatchObject({ demand: 150_000, capacity: 120_000, fits: false, limitNeeded: 150_000 });
    expect(p.rows.find((r) => r.scope === 'deployments')).toMatchObject({
      demand: 200_000,
      capacity: 250_000,
      fits: true,
    });
    expect(p.binding).toEqual(['tpm']);
  });

  it('checks concurrency by Little’s law when the workload says how long a request takes', () => {
    const cfg = config([{ limits: { concurrency: 10 } }], { safety_margin: 0 });
    const without = plan(cfg, SEED_004);
    expect(without.unchecked).toEqual(['deployments concurrency']);
    const w = parseWorkloadText(
      'group: claude\nrequests_per_minute: 600\ninput_tokens: { mean: 1000, p95: 4000 }\noutput_tokens: 200\nseconds_per_request: 2\n',
      'w.yaml',
    );
    const row = plan(cfg, w).rows.find((r) => r.dimension === 'concurrency');
    expect(row).toMatchObject({ demand: 20, capacity: 10, fits: false });
    expect(w.inputTokens).toEqual({ mean: 1_000, p95: 4_000 });
  });

  it('refuses a workload with a wrong key or an unknown group, naming it', () => {
    expect(() =>
      parseWorkloadText(
        'group: claude\nrequests_per_minute: 1\ninput_tokens: 1\noutput_token: 1\n',
        'w.yaml',
      ),
    ).toThrow(/output_token/);
    expect(() =>
      plan(
        config([{ limits: { rpm: 1 } }]),
        toWorkload({ group: 'gpt', requests_per_minute: 100, input_tokens: 3_000, output_tokens: 500 }),
      ),
    ).toThrow(/`gpt` is not in the configuration \(claude\)/);
  });
});

describe('sluice plan: the command', () => {
  it('prints the table or JSON and exits 1 when the workload does not fit, 2 on a bad file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
    const cfg = join(dir, 'sluice.yaml');
    writeFileSync(
      cfg,
      [
        'model_groups:',
        '  claude:',
        '    deployments:',
        // A key from the environment, unset here: the arithmetic does not need it.
        `      - { id: a, provider: anthropic, base_url: https://api.anthropic.com, api_key: \${ANTHROPIC_API_KEY}, model: claude-sonnet-4, limits: { rpm: 2000, itpm: 160000, otpm: 32000 } }`,
        'tenants: [{ id: acme, key: sk-acme-123456 }]',
        '',
      ].join('\n'),
    );
    const workload = join(dir, 'workload.yaml');
    writeFileSync(
      workload,
      'group: claude\nrequests_per_minute: 100\ninput_tokens: 3000\noutput_tokens: 500\n',
    );
    const { ANTHROPIC_API_KEY: _, ...withoutKey } = process.env;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'plan', ...args], {
        cwd: join(__dirname, '../..'),
        encoding: 'utf8',
        timeout: 20_000,
        env: withoutKey,
      });
    const json = run('--config', cfg, '--workload', workload, '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ fits: false, binding: ['itpm', 'otpm'] });
    const text = run('--config', cfg, '--workload', workload);
    expect(text.stdout).toContain('Does not fit: itpm (208 %), otpm (174 %).');
    const bad = run('--config', cfg, '--workload', join(dir, 'missing.yaml'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('cannot read');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
