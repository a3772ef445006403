/** `sluice report --week`'s output: Markdown a person reads (or pastes into a review), or one JSON object. */
import type { BucketWeek, WeeklyReport } from './weekly-report.js';

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const pct = (x: number) => `${Math.round(x * 100)} %`;
const usd = (x: number) =>
  `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}

function limitOf(b: BucketWeek): string {
  return `${b.limitName} ${NUMBER.format(b.limit)}`;
}

export function reportMarkdown(report: WeeklyReport, source: string): string {
  const lines = [
    `# Sluice weekly report`,
    '',
    `${report.from} to ${report.to} (${NUMBER.format(report.minutes)} minutes), from ${source}.`,
    `Utilization is used ÷ usable capacity at each minute's fullest sample; p95 and mean are over a limit's active minutes.`,
    '',
  ];
  if (report.buckets.length === 0 && report.tenants.length === 0) {
    lines.push('Nothing was recorded in this week.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    '## Which limit bound most often',
    '',
    report.binding
      ? `${report.binding.scope} ${report.binding.owner}, ${limitOf(report.binding)}: ${NUMBER.format(report.binding.refused)} calls refused, ${report.binding.minutesAbove90} minutes at or above 90 %.`
      : 'None: no limit refused a call or reached 90 %.',
    '',
    '## Limits',
    '',
    ...table(
      [
        'scope',
        'owner',
        'limit',
        'peak',
        'p95',
        'mean',
        'active min',
        'min ≥ 80 %',
        'min ≥ 90 %',
        'admitted',
        'refused',
      ],
      report.buckets.map((b) => [
        b.scope,
        b.owner,
        limitOf(b),
        pct(b.peak),
        pct(b.p95),
        pct(b.mean),
        NUMBER.format(b.activeMinutes),
        String(b.minutesAbove80),
        String(b.minutesAbove90),
        NUMBER.format(b.admitted),
        NUMBER.format(b.refused),
      ]),
    ),
    '',
    '## Tenants',
    '',
    ...table(
      ['tenant', 'group', 'calls', 'refused', 'input tokens', 'output tokens', 'cost'],
      report.tenants.map((t) => [
        t.tenant,
        t.group,
        NUMBER.format(t.requests),
        NUMBER.format(t.refused),
        NUMBER.format(t.inputTokens),
        NUMBER.format(t.outputTokens),
        usd(t.costUsd),
      ]),
    ),
    '',
    `Total: ${NUMBER.format(report.totals.requests)} calls, ${usd(report.totals.costUsd)} at the deployments' prices.`,
    '',
    '## Suggestions',
    '',
    ...(report.suggestions.length === 0
      ? ['None: no limit ran hot, no group was unbalanced or bursty.']
      : report.suggestions.map((s) => `- **${s.kind}**: ${s.text}.`)),
  );
  return `${lines.join('\n')}\n`;
}
