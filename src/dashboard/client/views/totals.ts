/**
 * The counters since start, the same numbers `/metrics` exposes (the
 * raw value is in `data-value` for whoever compares), plus what is
 * happening right now: in flight and queued.
 */
import type { DashboardSnapshot } from '../../wire.js';
import { byId, h, setText, syncKeyed } from '../dom.js';
import { count } from '../format.js';

interface Stat {
  readonly key: string;
  readonly label: string;
  readonly value: number;
  readonly note?: string;
  readonly tone?: 'bad' | 'warn';
}

export function renderTotals(snapshot: DashboardSnapshot): void {
  const t = snapshot.totals;
  const queued = snapshot.queues.reduce((n, q) => n + q.depth, 0);
  const codes = Object.entries(t.refusalsByCode)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code.replaceAll('_', ' ')} ${count(n)}`)
    .join(' · ');
  const stats: Stat[] = [
    { key: 'requests', label: 'Requests', value: t.requests, note: 'any status' },
    { key: 'admitted', label: 'Admitted', value: t.admitted, note: 'sent upstream' },
    { key: 'input-tokens', label: 'Input tokens', value: t.inputTokens },
    { key: 'output-tokens', label: 'Output tokens', value: t.outputTokens },
    {
      key: 'refused',
      label: 'Refused by Sluice',
      value: t.refused,
      note: codes || 'none',
      ...(t.refused > 0 && { tone: 'warn' as const }),
    },
    {
      key: 'upstream-429',
      label: 'Upstream 429s',
      value: t.upstream429,
      note: `of ${count(t.upstreamResponses)} answers`,
      ...(t.upstream429 > 0 && { tone: 'bad' as const }),
    },
    { key: 'in-flight', label: 'In flight', value: snapshot.inFlight },
    { key: 'queued', label: 'Queued', value: queued },
  ];
  if (snapshot.cacheReported) {
    stats.splice(4, 0, {
      key: 'cache-read',
      label: 'Prompt-cache reads',
      value: t.cacheReadTokens,
      note: 'input tokens',
    });
  }
  syncKeyed(
    byId('totals'),
    stats,
    (s) => s.key,
    (s) =>
      h(
        'div',
        { class: 'stat', 'data-stat': s.key },
        h('span', { class: 'stat-label' }),
        h('span', { class: 'stat-value' }),
        h('span', { class: 'stat-note' }),
      ),
    (el, s) => {
      el.className = s.tone ? `stat tone-${s.tone}` : 'stat';
      setText(el.querySelector('.stat-label') as Element, s.label);
      const value = el.querySelector('.stat-value') as HTMLElement;
      value.dataset.value = String(s.value);
      setText(value, count(s.value));
      const note = el.querySelector('.stat-note') as HTMLElement;
      setText(note, s.note ?? '');
      note.title = s.note ?? '';
    },
  );
}
