/**
 * Each deployment's health: its circuit, the share of its limits admitted
 * now (AIMD lowers it after upstream 429s and raises it back slowly), what it
 * actually took in the last minute, its upstream answers, and the
 * rate-limit headers of its last response as the provider reported them.
 */
import type { DashboardSnapshot, DeploymentRow, ObservationRow } from '../../wire.js';
import { byId, h, syncKeyed } from '../dom.js';
import { compact, count, duration, limitName } from '../format.js';

const CIRCUIT_TEXT = {
  closed: 'closed · healthy',
  half_open: 'half-open · probing',
  open: 'open · failing',
} as const;

export function renderDeployments(snapshot: DashboardSnapshot): void {
  const table = byId<HTMLTableElement>('deployments');
  const body = table.tBodies[0] ?? table.appendChild(h('tbody'));
  syncKeyed(body, snapshot.deployments, (d) => d.id, createRow, updateRow);
}

function createRow(): HTMLTableRowElement {
  const cell = (name: string) => h('td', { 'data-col': name });
  return h(
    'tr',
    {},
    cell('id'),
    cell('upstream'),
    cell('circuit'),
    cell('rate'),
    cell('answers'),
    cell('headers'),
  );
}

function updateRow(tr: HTMLTableRowElement, d: DeploymentRow): void {
  const [id, upstream, circuit, rate, answers, headers] = Array.from(tr.cells);
  tr.dataset.circuit = d.circuit;
  fill(
    id,
    h('strong', {}, d.id),
    h('small', {}, `group ${d.group}${d.weight !== 1 ? ` · weight ${d.weight}` : ''}`),
  );
  fill(upstream, `${d.provider} · ${d.model}`, h('small', {}, d.upstream));
  fill(circuit, h('span', { class: `badge circuit-${d.circuit}` }, CIRCUIT_TEXT[d.circuit]));
  const factor =
    d.adaptiveFactor >= 1 ? 'full limits' : `×${d.adaptiveFactor.toFixed(2)} of limits (after 429s)`;
  const limits = d.limits.map((l) => `${limitName(l.dimension, l.window)} ${compact(l.limit)}`).join(' · ');
  fill(
    rate,
    h('span', { class: d.adaptiveFactor < 1 ? 'lowered' : undefined }, factor),
    h('small', {}, `${count(d.admittedLastMinute)} admitted in the last minute`),
    limits ? h('small', {}, limits) : null,
  );
  fill(
    answers,
    `${count(d.responses)} answers`,
    h('small', { class: d.rateLimited > 0 ? 'bad' : undefined }, `${count(d.rateLimited)} × 429`),
    h('small', { class: d.failures > 0 ? 'warn' : undefined }, `${count(d.failures)} × 5xx / network`),
  );
  if (d.lastHeaders.length === 0) {
    fill(headers, h('small', {}, d.lastHeadersAgoMs === null ? 'no response yet' : 'no rate-limit headers'));
  } else {
    fill(
      headers,
      h('ul', { class: 'observations' }, ...d.lastHeaders.map(observation)),
      h('small', {}, `${duration(d.lastHeadersAgoMs ?? 0)} ago`),
    );
  }
}

function observation(o: ObservationRow): HTMLLIElement {
  const name = `${limitName(o.dimension, o.window)}${o.scope === 'project' ? ' (project)' : ''}`;
  const left =
    o.remaining !== null && o.limit !== null
      ? `${compact(o.remaining)} of ${compact(o.limit)} left`
      : o.remaining !== null
        ? `${compact(o.remaining)} left`
        : o.limit !== null
          ? `limit ${compact(o.limit)}`
          : '';
  const reset = o.resetInMs !== null && o.resetInMs > 0 ? ` · full in ${duration(o.resetInMs)}` : '';
  return h('li', {}, `${name}: ${left}${reset}`);
}

/** Replaces a cell's content, but only when it changed (keeps text selectable on a live page). */
function fill(cell: HTMLTableCellElement | undefined, ...children: (Node | string | null)[]): void {
  if (!cell) return;
  const next = h('div', {}, ...children);
  if (cell.firstElementChild?.isEqualNode(next)) return;
  cell.replaceChildren(next);
}
