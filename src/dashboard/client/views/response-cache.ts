/**
 * The response cache per model group that has one: over the last minute,
 * the hit rate (hit ÷ hit + miss, as the `sluice_cache_requests_total`
 * query in `cache-metrics.ts`), each outcome's count, the tokens answers
 * from the cache did not spend upstream, and how close semantic hits were.
 */
import type { DashboardSnapshot, ResponseCacheRow } from '../../wire.js';
import { byId, h, setText, setValue, syncKeyed } from '../dom.js';
import { count, percent } from '../format.js';

export function renderResponseCache(snapshot: DashboardSnapshot): void {
  const table = byId<HTMLTableElement>('response-cache');
  const body = table.tBodies[0] ?? table.appendChild(h('tbody'));
  syncKeyed(body, snapshot.responseCache, (r) => r.group, createRow, updateRow);
  byId('response-cache-empty').hidden = snapshot.responseCache.length > 0;
}

function createRow(): HTMLTableRowElement {
  const cell = (name: string) => h('td', { 'data-col': name, class: 'num' });
  return h(
    'tr',
    {},
    h('td', { 'data-col': 'group' }),
    h('td', { 'data-col': 'mode' }),
    cell('hit-rate'),
    cell('hit'),
    cell('miss'),
    cell('stale'),
    cell('bypass'),
    cell('saved-tokens'),
    cell('similarity'),
  );
}

function updateRow(tr: HTMLTableRowElement, r: ResponseCacheRow): void {
  const [group, mode, hitRate, hit, miss, stale, bypass, saved, similarity] = Array.from(tr.cells);
  if (group) setText(group, r.group);
  if (mode) setText(mode, r.mode);
  if (hitRate) setValue(hitRate, r.hitRate, r.hitRate === null ? '—' : percent(r.hitRate));
  if (hit) setValue(hit, r.outcomes.hit, count(r.outcomes.hit));
  if (miss) setValue(miss, r.outcomes.miss, count(r.outcomes.miss));
  if (stale) setValue(stale, r.outcomes.stale, count(r.outcomes.stale));
  if (bypass) setValue(bypass, r.outcomes.bypass, count(r.outcomes.bypass));
  if (saved) setValue(saved, r.savedTokens, count(r.savedTokens));
  if (similarity)
    setValue(similarity, r.meanSimilarity, r.meanSimilarity === null ? '—' : r.meanSimilarity.toFixed(3));
}
