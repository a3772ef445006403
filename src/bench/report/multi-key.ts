/**
 * The multi-key comparison (issue 15): per target, goodput as a share of
 * the keys' summed limits and as a ratio to a peer measured in the same run,
 * upstream 429s, what the app saw fail, and how the calls spread over the
 * keys against how their limits do.
 */
import type { KeyShare, RunSummary } from '../summary.js';
import { fmt, markdownTable, pct } from './table.js';

/** The peer Sluice is compared with by default: the hand-written fallback loop over the same keys. */
export const MULTI_KEY_PEER = 'fallback';

/** `a / b / c` of each key's share, in the scenario's key order. */
export function sharesText(keys: readonly KeyShare[], share: (k: KeyShare) => number | undefined): string {
  return keys.length ? keys.map((k) => pct(share(k), 0).replace(' %', '')).join(' / ') : '–';
}

/** Goodput of `s` ÷ the peer's, when both are known. */
export function goodputRatio(s: RunSummary, peer: RunSummary | undefined): number | undefined {
  const mine = s.goodput.ofLimit;
  const theirs = peer?.goodput.ofLimit;
  return mine === undefined || !theirs ? undefined : mine / theirs;
}

export function multiKeyTable(summaries: readonly RunSummary[], peerName = MULTI_KEY_PEER): string {
  const peer = summaries.find((s) => s.target === peerName);
  const keys = summaries.find((s) => s.keys.length)?.keys.map((k) => k.key) ?? [];
  return markdownTable(
    [
      'target',
      'served / requests',
      'goodput % of summed TPM',
      `goodput ÷ ${peerName}`,
      'upstream 429s',
      'client-visible failures',
      `calls % per key (${keys.join(' / ')})`,
      'limits % per key',
      'latency p50 / p99 ms',
    ],
    summaries.map((s) => [
      s.target,
      `${fmt(s.requests.served)} / ${fmt(s.requests.total)}`,
      pct(s.goodput.ofLimit),
      fmt(goodputRatio(s, peer), 2),
      fmt(s.upstream.rateLimited),
      fmt(s.clientFailures),
      sharesText(s.keys, (k) => k.callShare),
      sharesText(s.keys, (k) => k.limitShare),
      `${fmt(s.latencyMs.p50)} / ${fmt(s.latencyMs.p99)}`,
    ]),
  );
}
