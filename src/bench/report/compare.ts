/**
 * The comparison as Markdown and charts: one table per scenario (every
 * target side by side), the targets the issue sets checked against the
 * measured numbers, and grouped bar charts of goodput and upstream 429s.
 */
import type { RunSummary } from '../summary.js';
import { sharesText } from './multi-key.js';
import { barChart } from './svg.js';
import { fmt, markdownTable, pct, triple } from './table.js';

export interface ComparisonRun {
  readonly scenario: string;
  readonly target: string;
  readonly summary?: RunSummary;
  /** Why the target could not run. */
  readonly unavailable?: string;
}

function ms(v: number | undefined): string {
  return v === undefined ? '–' : fmt(v, v < 10 ? 1 : 0);
}

function statuses(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? ` (${entries.map(([k, v]) => `${v}× ${k}`).join(', ')})` : '';
}

/** The columns every scenario shows, plus what that scenario is about. */
export function scenarioTable(runs: readonly ComparisonRun[]): string {
  const extra = extraColumns(runs[0]?.scenario ?? '');
  const headers = [
    'target',
    'requests',
    'served',
    'refused',
    'failed / unanswered',
    'goodput tokens/min',
    'goodput % of limit',
    'upstream 429s',
    'retries SDK / target',
    'latency p50 / p95 / p99 ms',
    ...extra.map((e) => e.header),
  ];
  const rows = runs.map((run) => {
    const s = run.summary;
    if (!s)
      return [run.target, `did not run: ${run.unavailable ?? 'unknown'}`, ...headers.slice(2).map(() => '')];
    return [
      run.target,
      fmt(s.requests.total),
      fmt(s.requests.served),
      `${fmt(s.requests.refused)}${statuses(s.requests.refusedByStatus)}`,
      `${fmt(s.requests.failed)} / ${fmt(s.requests.unanswered)}`,
      fmt(s.goodput.tokensPerMin),
      pct(s.goodput.ofAvailable ?? s.goodput.ofLimit),
      fmt(s.upstream.rateLimited),
      `${fmt(s.retries.sdk)} / ${fmt(s.retries.target)}`,
      triple(s.latencyMs),
      ...extra.map((e) => e.cell(s)),
    ];
  });
  return markdownTable(headers, rows);
}

interface Extra {
  readonly header: string;
  readonly cell: (s: RunSummary) => string;
}

function extraColumns(scenario: string): Extra[] {
  const wait = (cls: string, key: 'p50' | 'p99') => (s: RunSummary) =>
    s.waitKnown ? ms(s.byPriority[cls]?.waitMs[key]) : '–';
  const latency = (cls: string) => (s: RunSummary) => ms(s.byPriority[cls]?.latencyMs.p99);
  const served = (cls: string) => (s: RunSummary) => {
    const g = s.byPriority[cls];
    return g ? pct(g.served / Math.max(1, g.requests), 0) : '–';
  };
  const jain: Extra = { header: "Jain's index", cell: (s) => fmt(s.fairness.jain, 3) };
  if (scenario.startsWith('multi-key')) {
    return [
      { header: 'client-visible failures', cell: (s) => fmt(s.clientFailures) },
      { header: 'calls % per key', cell: (s) => sharesText(s.keys, (k) => k.callShare) },
      { header: 'limits % per key', cell: (s) => sharesText(s.keys, (k) => k.limitShare) },
    ];
  }
  if (scenario.startsWith('priorities')) {
    return [
      {
        header: 'critical wait p50 / p99 ms',
        cell: (s) => `${wait('critical', 'p50')(s)} / ${wait('critical', 'p99')(s)}`,
      },
      { header: 'critical latency p99 ms', cell: latency('critical') },
      { header: 'critical served', cell: served('critical') },
      { header: 'low served', cell: served('low') },
      { header: 'low wait p99 ms', cell: wait('low', 'p99') },
      {
        header: 'low refused after p50 / p99 ms',
        cell: (s) => {
          const g = s.byPriority.low?.refusedAfterMs;
          return g?.count ? `${ms(g.p50)} / ${ms(g.p99)}` : '–';
        },
      },
    ];
  }
  if (scenario.startsWith('heavy')) {
    const light = (s: RunSummary) => Object.entries(s.byTenant).filter(([name]) => name.startsWith('light'));
    return [
      jain,
      {
        header: 'light tenants served',
        cell: (s) => {
          const groups = light(s).map(([, g]) => g);
          const req = groups.reduce((a, g) => a + g.requests, 0);
          return req ? pct(groups.reduce((a, g) => a + g.served, 0) / req, 0) : '–';
        },
      },
      {
        header: 'heavy served',
        cell: (s) => {
          const g = s.byTenant.heavy;
          return g ? pct(g.served / Math.max(1, g.requests), 0) : '–';
        },
      },
    ];
  }
  return [jain, { header: 'wait p99 ms', cell: (s) => (s.waitKnown ? ms(s.waitMs.p99) : '–') }];
}

export interface TargetCheck {
  readonly what: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

/** The issue's targets for Sluice, against what was measured (library and gateway). */
export function sluiceChecks(runs: readonly ComparisonRun[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const run of runs) {
    const s = run.summary;
    if (!s || (run.target !== 'library' && run.target !== 'gateway')) continue;
    const at = `${run.scenario} · ${run.target}`;
    const background = s.goodput.ofAvailable !== undefined;
    if (!background) {
      checks.push({
        what: `${at}: zero upstream 429s`,
        measured: fmt(s.upstream.rateLimited),
        met: s.upstream.rateLimited === 0,
      });
    }
    const goodput = s.goodput.ofAvailable ?? s.goodput.ofLimit;
    checks.push({
      what: `${at}: goodput ≥ 95 % of the limit${background ? ' (less other clients)' : ''}`,
      measured: pct(goodput),
      met: goodput === undefined ? undefined : goodput >= 0.95,
    });
    checks.push({
      what: `${at}: no request left without an answer`,
      measured: `${fmt(s.requests.unanswered)} unanswered`,
      met: s.requests.unanswered === 0,
    });
    const critical = s.byPriority.critical;
    if (critical && s.byPriority.low) {
      const p99 = critical.waitMs.p99;
      checks.push({
        what: `${at}: critical p99 wait < 1 s while low is saturated`,
        measured: `${ms(p99)} ms`,
        met: p99 === undefined ? undefined : p99 < 1_000,
      });
    }
    if (s.fairness.jain !== undefined) {
      checks.push({
        what: `${at}: Jain's index ≥ 0.99 (equal-weight tenants)`,
        measured: fmt(s.fairness.jain, 3),
        met: s.fairness.jain >= 0.99,
      });
    }
  }
  return checks;
}

export function checksTable(checks: readonly TargetCheck[]): string {
  return markdownTable(
    ['target', 'measured', 'met'],
    checks.map((c) => [c.what, c.measured, c.met === undefined ? '–' : c.met ? 'yes' : '**no**']),
  );
}

export function goodputChart(
  scenarios: readonly string[],
  targets: readonly string[],
  runs: readonly ComparisonRun[],
): string {
  return barChart({
    title: 'Goodput: served tokens/min ÷ TPM limit (shared-key: ÷ what other clients leave)',
    yLabel: '% of the limit',
    series: targets,
    groups: scenarios.map((scenario) => ({
      label: scenario,
      values: targets.map((target) => {
        const s = runs.find((r) => r.scenario === scenario && r.target === target)?.summary;
        const g = s?.goodput.ofAvailable ?? s?.goodput.ofLimit;
        return g === undefined ? undefined : g * 100;
      }),
    })),
    marks: [{ name: '95 %', y: 95 }],
    format: (v) => `${v}`,
  });
}

export function upstream429Chart(
  scenarios: readonly string[],
  targets: readonly string[],
  runs: readonly ComparisonRun[],
): string {
  return barChart({
    title: 'Upstream 429s (the provider’s own count)',
    yLabel: '429 answers',
    series: targets,
    groups: scenarios.map((scenario) => ({
      label: scenario,
      values: targets.map(
        (target) =>
          runs.find((r) => r.scenario === scenario && r.target === target)?.summary?.upstream.rateLimited,
      ),
    })),
  });
}
