/**
 * Reserved versus on-demand per model group (issue 15): how many of the
 * last minute's attempts reserved deployments took and how many spilled to
 * on-demand ones, the spillover share, and what each side cost since start
 * where deployments have a price.
 */
import type { DashboardSnapshot, SpilloverRow } from '../../wire.js';
import { byId, h, setText, setValue, syncKeyed } from '../dom.js';
import { count, percent, usd } from '../format.js';

export function renderSpillover(snapshot: DashboardSnapshot): void {
  const table = byId<HTMLTableElement>('spillover');
  const body = table.tBodies[0] ?? table.appendChild(h('tbody'));
  syncKeyed(body, snapshot.spillover, (r) => r.group, createRow, updateRow);
  byId('spillover-empty').hidden = snapshot.spillover.length > 0;
}

function createRow(): HTMLTableRowElement {
  const cell = (name: string) => h('td', { 'data-col': name, class: 'num' });
  return h(
    'tr',
    {},
    h('td', { 'data-col': 'group' }),
    cell('reserved'),
    cell('on-demand'),
    cell('share'),
    cell('reserved-cost'),
    cell('on-demand-cost'),
  );
}

function updateRow(tr: HTMLTableRowElement, r: SpilloverRow): void {
  const [group, reserved, onDemand, share, reservedCost, onDemandCost] = Array.from(tr.cells);
  if (group) setText(group, r.group);
  if (reserved) setValue(reserved, r.reservedLastMinute, count(r.reservedLastMinute));
  if (onDemand) setValue(onDemand, r.onDemandLastMinute, count(r.onDemandLastMinute));
  if (share) setValue(share, r.spilloverShare, r.spilloverShare === null ? '—' : percent(r.spilloverShare));
  if (reservedCost)
    setValue(reservedCost, r.reservedCostUsd, r.reservedCostUsd === null ? '—' : usd(r.reservedCostUsd));
  if (onDemandCost)
    setValue(onDemandCost, r.onDemandCostUsd, r.onDemandCostUsd === null ? '—' : usd(r.onDemandCostUsd));
}
