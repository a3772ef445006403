/** The header line: connection state, the store, drain, and how long the gateway has been up. */
import type { DashboardSnapshot } from '../../wire.js';
import { byId, setText } from '../dom.js';
import type { ConnectionState } from '../event-stream.js';
import { duration } from '../format.js';

const STATE_TEXT: Readonly<Record<ConnectionState | 'stale', string>> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  stopped: 'stopped',
  stale: 'no update for a while',
};

export function renderConnection(state: ConnectionState | 'stale', detail = ''): void {
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
    `updated ${new Date(snapshot.now).toLocaleTimeString()}`,
  ];
  if (snapshot.draining) parts.unshift('draining');
  setText(byId('meta'), parts.join(' · '));
  byId('meta').classList.toggle('warn', snapshot.draining || !snapshot.store.available);
}
