/**
 * Tokens per request as a distribution, not an average: p50 / p95 / p99 of
 * input and output per tenant and model group, from `sluice_request_tokens`.
 */
import type { DashboardSnapshot, RequestTokensRow, TokenQuantiles } from '../../wire.js';
import { byId, h, setText, syncKeyed } from '../dom.js';
import { compact, count } from '../format.js';

export function renderRequestTokens(snapshot: DashboardSnapshot): void {
  const table = byId<HTMLTableElement>('request-tokens');
  const body = table.tBodies[0] ?? table.appendChild(h('tbody'));
  syncKeyed(body, snapshot.requestTokens, (r) => `${r.tenant}\u0000${r.group}`, createRow, updateRow);
  byId('request-tokens-empty').hidden = snapshot.requestTokens.length > 0;
}

function createRow(): HTMLTableRowElement {
  const cell = (name: string) => h('td', { 'data-col': name });
  return h('tr', {}, cell('tenant'), cell('group'), cell('requests'), cell('input'), cell('output'));
}

function updateRow(tr: HTMLTableRowElement, r: RequestTokensRow): void {
  const [tenant, group, requests, input, output] = Array.from(tr.cells);
  if (tenant) setText(tenant, r.tenant || '(none)');
  if (group) setText(group, r.group);
  if (requests) {
    requests.dataset.value = String(r.requests);
    setText(requests, count(r.requests));
  }
  if (input) show(input, r.input);
  if (output) show(output, r.output);
}

function show(cell: HTMLTableCellElement, q: TokenQuantiles): void {
  cell.dataset.p50 = String(q.p50);
  cell.dataset.p95 = String(q.p95);
  cell.dataset.p99 = String(q.p99);
  setText(cell, `${compact(q.p50)} · ${compact(q.p95)} · ${compact(q.p99)}`);
}
