/**
 * Usage per tenant since start: requests, tokens, refusals and admission
 * waits, sortable by any column (click a header; again to reverse). Only
 * ids, tiers and counts: a tenant's key never reaches the page.
 */
import type { DashboardSnapshot, TenantRow } from '../../wire.js';
import { byId, h, setText, syncKeyed } from '../dom.js';
import { count, usd, wait } from '../format.js';

interface Column {
  readonly key: keyof TenantRow;
  readonly label: string;
  readonly numeric: boolean;
  readonly show: (t: TenantRow) => string;
}

const COLUMNS: readonly Column[] = [
  { key: 'id', label: 'Tenant', numeric: false, show: (t) => t.id },
  { key: 'tier', label: 'Tier', numeric: false, show: (t) => t.tier ?? '—' },
  { key: 'priority', label: 'Priority', numeric: false, show: (t) => t.priority },
  { key: 'requests', label: 'Requests', numeric: true, show: (t) => count(t.requests) },
  { key: 'inputTokens', label: 'Tokens in', numeric: true, show: (t) => count(t.inputTokens) },
  { key: 'outputTokens', label: 'Tokens out', numeric: true, show: (t) => count(t.outputTokens) },
  { key: 'refused', label: 'Refused', numeric: true, show: (t) => count(t.refused) },
  {
    key: 'spendUsd',
    label: 'Spend',
    numeric: true,
    show: (t) => (t.spendUsd === null ? '—' : usd(t.spendUsd)),
  },
  { key: 'waitP50Ms', label: 'Wait p50', numeric: true, show: (t) => wait(t.waitP50Ms) },
  { key: 'waitP99Ms', label: 'Wait p99', numeric: true, show: (t) => wait(t.waitP99Ms) },
];

let sortKey: keyof TenantRow = 'requests';
let descending = true;
let last: DashboardSnapshot | undefined;

export function renderTenants(snapshot: DashboardSnapshot): void {
  last = snapshot;
  const table = byId<HTMLTableElement>('tenants');
  if (!table.tHead) table.append(header());
  const body = table.tBodies[0] ?? table.appendChild(h('tbody'));
  const rows = [...snapshot.tenants].sort(compare);
  syncKeyed(
    body,
    rows,
    (t) => t.id,
    () =>
      h(
        'tr',
        {},
        ...COLUMNS.map((c) => h('td', { class: c.numeric ? 'num' : undefined, 'data-col': c.key })),
      ),
    (tr, t) => {
      COLUMNS.forEach((c, i) => {
        const cell = tr.cells[i] as HTMLTableCellElement;
        setText(cell, c.show(t));
        const raw = t[c.key];
        cell.dataset.value = raw === null ? '' : String(raw);
      });
      tr.classList.toggle('has-refusals', t.refused > 0);
    },
  );
  for (const th of Array.from(table.tHead?.rows[0]?.cells ?? [])) {
    const key = th.dataset.col;
    th.setAttribute('aria-sort', key === sortKey ? (descending ? 'descending' : 'ascending') : 'none');
  }
}

function header(): HTMLTableSectionElement {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      ...COLUMNS.map((c) => {
        const button = h('button', { type: 'button', class: 'sort' }, c.label);
        button.addEventListener('click', () => {
          if (sortKey === c.key) descending = !descending;
          else {
            sortKey = c.key;
            descending = c.numeric;
          }
          if (last) renderTenants(last);
        });
        return h('th', { scope: 'col', class: c.numeric ? 'num' : undefined, 'data-col': c.key }, button);
      }),
    ),
  );
}

function compare(a: TenantRow, b: TenantRow): number {
  const x = a[sortKey];
  const y = b[sortKey];
  let order: number;
  if (x === y) order = 0;
  else if (x === null) order = -1;
  else if (y === null) order = 1;
  else order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  if (order === 0) order = a.id.localeCompare(b.id) * (descending ? -1 : 1);
  return descending ? -order : order;
}
