/** The header line: connection state, the store, drain, and how long the gateway has been up. */
import type { DashboardSnapshot } from '../../wire.js';
import { byId, setText } from '../dom.js';
import type { ConnectionState } from '../event-stream.js';
import { clockTime, duration } from '../format.js';

/** `stale`: connected but no snapshot for a while; `locked`: waiting for the admin key. */
export type PageState = ConnectionState | 'stale' | 'locked';

const STATE_TEXT: Readonly<Record<PageState, string>> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  stopped: 'stopped',
  stale: 'no update for a while',
  locked: 'locked',
};

export function renderConnection(state: PageState, detail = ''): void {
  const el = byId('status');
  el.dataset.state = state;
  setText(el, STATE_TEXT[state]);
  el.title = detail;
}

export function renderStatus(snapshot: DashboardSnapshot): void {
  const store =
    snapshot.store.kind === 'memory'
      ? 'memory store'
      : `redis store: ${snapshot.store.mode}${snapshot.store.available ? '' : ' (unreachable)'}`;
  const parts = [
    store,
    `up ${duration(snapshot.now - snapshot.startedAt)}`,
    `updated ${clockTime(snapshot.now, true)}`,
  ];
  if (snapshot.draining) parts.unshift('draining');
  setText(byId('meta'), parts.join(' · '));
  byId('meta').classList.toggle('warn', snapshot.draining || !snapshot.store.available);
}
