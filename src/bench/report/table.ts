/** Text output of a run: a few summary lines and tables per priority class and tenant. */

import type { CacheSummary } from '../cache-summary.js';
import type { Percentiles } from '../stats.js';
import type { GroupStats, KeyShare, RunSummary } from '../summary.js';

export function fmt(v: number | undefined, digits = 0): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(v: number | undefined, digits = 1): string {
  return v === undefined ? '–' : `${fmt(v * 100, digits)} %`;
}

/** `p50 / p95 / p99` in ms, with a decimal below 10 ms. */
export function triple(p: Percentiles): string {
  if (p.count === 0) return '–';
  const one = (v: number | undefined) => fmt(v, v !== undefined && Math.abs(v) < 10 ? 1 : 0);
  return `${one(p.p50)} / ${one(p.p95)} / ${one(p.p99)}`;
}

/** A Markdown table (also readable in a terminal). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function byStatus(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? ` (${entries.map(([k, v]) => `${k}: ${v}`).join(', ')})` : '';
}

function groupRows(groups: Record<string, GroupStats>): string[][] {
  return Object.entries(groups).map(([name, g]) => [
    name,
    fmt(g.requests),
    fmt(g.served),
    fmt(g.refused),
    fmt(g.failed),
    fmt(g.tokensPerMin),
    triple(g.latencyMs),
    triple(g.waitMs),
    triple(g.refusedAfterMs),
  ]);
}

const GROUP_HEADERS = [
  '',
  'requests',
  'served',
  'refused',
  'failed',
  'tokens/min',
  'latency ms p50/95/99',
  'wait ms p50/95/99',
  'refused after ms p50/95/99',
];

export function runReport(s: RunSummary): string {
  const r = s.requests;
  const g = s.goodput;
  const lines = [
    `${s.scenario} · ${s.target}: ${s.targetDescription}`,
    `requests ${fmt(r.total)}: served ${fmt(r.served)}, refused ${fmt(r.refused)}${byStatus(r.refusedByStatus)}, failed ${fmt(r.failed)}${byStatus(r.failedByReason)}`,
    `goodput ${fmt(g.tokensPerMin)} tokens/min = ${pct(g.ofLimit)} of the TPM limit${g.ofAvailable === undefined ? '' : ` (${pct(g.ofAvailable)} of what other clients leave)`}, ${fmt(g.requestsPerMin)} requests/min; steady window ${fmt(g.windowMs[0] / 1_000, 1)}–${fmt(g.windowMs[1] / 1_000, 1)} s`,
    `upstream: ${fmt(s.upstream.requests)} requests reached the provider, ${fmt(s.upstream.rateLimited)} answered 429; retries: SDK ${fmt(s.retries.sdk)}, inside the target ${fmt(s.retries.target)}`,
    `latency ms p50/95/99 ${triple(s.latencyMs)}; queue wait ${s.waitKnown ? triple(s.waitMs) : 'not visible'}; overhead beyond wait and model time ${triple(s.overheadMs)}`,
    `Jain's index (equal-weight tenants, served ÷ max-min fair share): ${fmt(s.fairness.jain, 3)}`,
    ...(s.cache ? [cacheLine(s.cache)] : []),
    '',
    ...(s.keys.length > 1 ? [keyTable(s.keys), ''] : []),
    markdownTable(['class', ...GROUP_HEADERS.slice(1)], groupRows(s.byPriority)),
    '',
    markdownTable(['tenant', ...GROUP_HEADERS.slice(1)], groupRows(s.byTenant)),
  ];
  return lines.join('\n');
}

/** Each key's share of the limits beside its share of the calls and tokens it took, and its 429s. */
export function keyTable(keys: readonly KeyShare[]): string {
  return markdownTable(
    ['key', 'share of limits', 'calls admitted', 'share of calls', 'share of tokens', 'upstream 429s'],
    keys.map((k) => [
      k.key,
      pct(k.limitShare, 0),
      fmt(k.calls),
      pct(k.callShare, 0),
      pct(k.tokenShare, 0),
      fmt(k.rateLimited),
    ]),
  );
}

/** The response cache's answers, hit rate and the answer time of hits and misses. */
function cacheLine(c: CacheSummary): string {
  const a = c.answers;
  return `response cache: ${fmt(a.hit)} hits, ${fmt(a.miss)} misses, ${fmt(a.stale)} stale, ${fmt(a.bypass)} bypassed; hit rate ${pct(c.hitRate)}; answer ms p50/95/99 hits ${triple(c.hitMs)}, misses ${triple(c.missMs)}; answers of another question: ${fmt(c.foreignAnswers.hit)} hits, ${fmt(c.foreignAnswers.other)} others`;
}
