/**
 * Each deployment's terms and health: reserved or on-demand and what its
 * traffic cost since start (when priced), its circuit, the share of its
 * limits admitted now (AIMD lowers it after upstream 429s and raises it
 * back slowly), what it
 * actually took in the last minute, its upstream answers, how far its
 * estimates were from the provider's counts, whether its retries got calls
 * served, its prompt-cache hit ratio, and the rate-limit headers of its last
 * response as the provider reported them.
 */
import type { DashboardSnapshot, DeploymentRow, ObservationRow } from '../../wire.js';
import { byId, h, syncKeyed } from '../dom.js';
import { compact, count, duration, limitName, percent, usd } from '../format.js';

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
    cell('accuracy'),
    cell('headers'),
  );
}

function updateRow(tr: HTMLTableRowElement, d: DeploymentRow): void {
  const [id, upstream, circuit, rate, answers, accuracy, headers] = Array.from(tr.cells);
  tr.dataset.circuit = d.circuit;
  tr.dataset.capacity = d.capacity;
  tr.dataset.costUsd = d.costUsd === null ? '' : String(d.costUsd);
  fill(
    id,
    h('strong', {}, d.id),
    h('small', {}, `group ${d.group}${d.weight !== 1 ? ` · weight ${d.weight}` : ''}`),
    h(
      'small',
      {},
      `${d.capacity === 'reserved' ? 'reserved' : 'on-demand'}${d.costUsd === null ? '' : ` · ${usd(d.costUsd)} since start`}`,
    ),
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
  if (accuracy) {
    accuracy.dataset.inputError = String(d.estimateError.input ?? '');
    accuracy.dataset.outputError = String(d.estimateError.output ?? '');
    accuracy.dataset.retriesSucceeded = String(d.retries.succeeded);
    accuracy.dataset.retriesFailed = String(d.retries.failed);
    accuracy.dataset.cacheHit = String(d.cacheHitRatio ?? '');
  }
  fill(
    accuracy,
    `estimate ${signed(d.estimateError.input)} in · ${signed(d.estimateError.output)} out`,
    h(
      'small',
      { class: d.retries.failed > d.retries.succeeded ? 'warn' : undefined },
      `retries ${count(d.retries.succeeded)} served · ${count(d.retries.failed)} failed`,
    ),
    h(
      'small',
      {},
      d.cacheHitRatio === null ? 'no prompt-cache figures' : `prompt cache ${percent(d.cacheHitRatio)}`,
    ),
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

/** Estimated ÷ reported − 1 as "+25 %" (over-reserved) or "−10 %"; "–" before any report. */
function signed(error: number | null): string {
  if (error === null) return '–';
  const rounded = Math.round(error * 100);
  return `${rounded > 0 ? '+' : rounded < 0 ? '−' : '±'}${Math.abs(rounded)} %`;
}

/** Replaces a cell's content, but only when it changed (keeps text selectable on a live page). */
function fill(cell: HTMLTableCellElement | undefined, ...children: (Node | string | null)[]): void {
  if (!cell) return;
  const next = h('div', {}, ...children);
  if (cell.firstElementChild?.isEqualNode(next)) return;
  cell.replaceChildren(next);
}
