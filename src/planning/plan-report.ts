/** `sluice plan`'s output: a table a person reads, or one JSON object a script reads. */
import { BATCH_PRICE_SHARE } from '../providers/list-prices.js';
import type { Plan, PlanRow } from './plan.js';

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const FRACTION = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

function units(n: number): string {
  if (!Number.isFinite(n)) return '∞';
  return n >= 100 ? NUMBER.format(n) : FRACTION.format(n);
}

function percent(share: number): string {
  return Number.isFinite(share) ? `${Math.round(share * 100)} %` : '∞';
}

export function planText(p: Plan): string {
  const w = p.workload;
  const tokens = (t: { mean: number; p95: number }) =>
    t.p95 > t.mean ? `${NUMBER.format(t.mean)} (p95 ${NUMBER.format(t.p95)})` : NUMBER.format(t.mean);
  const lines = [
    `Plan for \`${p.group}\` (${p.deployments} deployment${p.deployments === 1 ? '' : 's'}, safety margin ${Math.round(p.safetyMargin * 100)} %):`,
    `${FRACTION.format(w.requestsPerMinute)} requests/min × ${tokens(w.inputTokens)} input + ${tokens(w.outputTokens)} output tokens each`,
    '',
  ];
  if (p.rows.length === 0) lines.push('No limit is declared for this group: nothing to check.');
  else {
    const header = [
      'limit',
      'scope',
      'demand',
      'at p95',
      'capacity',
      'declared',
      'utilization',
      'fits',
      'limit needed',
    ];
    const cells = p.rows.map((r: PlanRow) => [
      r.dimension,
      r.scope,
      units(r.demand),
      units(r.demandP95),
      units(r.capacity),
      units(r.limit),
      percent(r.utilization),
      r.fits ? 'yes' : 'NO',
      r.scope === 'deployments' && p.deployments > 1 ? `${units(r.limitNeeded)} each` : units(r.limitNeeded),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
    const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
    lines.push(line(header), line(widths.map((n) => '-'.repeat(n))), ...cells.map(line), '');
  }
  if (p.fits) lines.push('Fits: every limit has room for this demand.');
  else {
    const worst = p.rows.filter((r) => !r.fits).map((r) => `${r.dimension} (${percent(r.utilization)})`);
    lines.push(`Does not fit: ${worst.join(', ')}.`);
    const options: string[] = [];
    if (p.deploymentsNeeded !== undefined)
      options.push(`${p.deploymentsNeeded} deployments like the current ones (${p.deployments} now)`);
    const needed = p.rows
      .filter((r) => !r.fits)
      .map(
        (r) =>
          `${r.scope === 'deployments' ? '' : `${r.scope} `}${r.dimension} ≥ ${NUMBER.format(r.limitNeeded)}`,
      );
    options.push(
      `limits of ${needed.join(', ')}${p.deployments > 1 ? ' (per deployment for deployment limits)' : ''}`,
    );
    lines.push(`Would fit with: ${options.join('; or ')}.`);
  }
  if (p.unchecked.length > 0)
    lines.push(`Not checked (give seconds_per_request): ${p.unchecked.join(', ')}.`);
  lines.push(
    p.monthlyCostUsd === undefined
      ? 'Monthly cost: no deployment of the group has a price.'
      : `Monthly cost (30 days at the deployments' prices): $${NUMBER.format(p.monthlyCostUsd)}; through a batch API (50 % off): $${NUMBER.format(p.monthlyCostUsd * BATCH_PRICE_SHARE)}.`,
  );
  return `${lines.join('\n')}\n`;
}

export function planJson(p: Plan): object {
  return {
    group: p.group,
    fits: p.fits,
    binding: p.binding,
    safety_margin: p.safetyMargin,
    deployments: p.deployments,
    deployments_needed: p.deploymentsNeeded ?? null,
    dimensions: p.rows.map((r) => ({
      dimension: r.dimension,
      scope: r.scope,
      demand: r.demand,
      demand_p95: r.demandP95,
      capacity: r.capacity,
      limit: r.limit,
      utilization: Number.isFinite(r.utilization) ? r.utilization : null,
      fits: r.fits,
      limit_needed: r.limitNeeded,
    })),
    unchecked: p.unchecked,
    monthly_cost_usd: p.monthlyCostUsd ?? null,
    monthly_batch_cost_usd: p.monthlyCostUsd === undefined ? null : p.monthlyCostUsd * BATCH_PRICE_SHARE,
  };
}
