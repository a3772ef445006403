/**
 * The dashboard page: asks for the admin key, opens the live stream and
 * redraws every view on each snapshot. Nothing is fetched or shown before
 * the gateway accepted the key.
 */
import type { DashboardSnapshot } from '../wire.js';
import { AdminSession } from './admin-session.js';
import { byId } from './dom.js';
import { EventStreamClient } from './event-stream.js';
import { SeriesBuffer } from './series-buffer.js';
import { renderBatches } from './views/batches.js';
import { renderBuckets } from './views/buckets.js';
import { renderCharts } from './views/charts.js';
import { renderDeployments } from './views/deployments.js';
import { setUpHistoryRange } from './views/history-range.js';
import { renderLoad } from './views/load.js';
import { renderRequestTokens } from './views/request-tokens.js';
import { renderResponseCache } from './views/response-cache.js';
import { renderSpillover } from './views/spillover.js';
import { renderConnection, renderStatus } from './views/status.js';
import { renderTenants } from './views/tenants.js';
import { renderTotals } from './views/totals.js';

const STALE_MS = 5_000;

const session = new AdminSession(window.sessionStorage);
const buffer = new SeriesBuffer();
let client: EventStreamClient | undefined;
let lastUpdate = 0;

function showLogin(message = ''): void {
  client?.stop();
  client = undefined;
  lastUpdate = 0;
  byId('app').hidden = true;
  byId('lock').hidden = true;
  byId('login').hidden = false;
  const error = byId('login-error');
  error.textContent = message;
  error.hidden = message === '';
  renderConnection('locked');
  byId<HTMLInputElement>('admin-key').focus();
}

function connect(key: string): void {
  client?.stop();
  byId('login').hidden = true;
  byId('app').hidden = false;
  byId('lock').hidden = false;
  client = new EventStreamClient('/admin/v1/stream', key, {
    onEvent(event) {
      if (event.event === 'snapshot') render(JSON.parse(event.data) as DashboardSnapshot);
    },
    onState: renderConnection,
    onRefused(_status, message) {
      session.clear();
      showLogin(message);
    },
  });
  client.start();
}

function render(snapshot: DashboardSnapshot): void {
  lastUpdate = Date.now();
  const series = buffer.apply(snapshot.seriesMode, snapshot.series, snapshot.now, snapshot.windowMs);
  const views: (() => void)[] = [
    () => renderStatus(snapshot),
    () => renderTotals(snapshot),
    () => renderBuckets(snapshot),
    () => renderCharts(snapshot, series),
    () => renderTenants(snapshot),
    () => renderRequestTokens(snapshot),
    () => renderSpillover(snapshot),
    () => renderResponseCache(snapshot),
    () => renderLoad(snapshot),
    () => renderBatches(snapshot),
    () => renderDeployments(snapshot),
  ];
  // One broken view must not blank the others.
  for (const view of views) {
    try {
      view();
    } catch (error) {
      console.error(error);
    }
  }
  document.body.dataset.updated = String(snapshot.now);
}

byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('admin-key');
  const key = input.value.trim();
  if (!key) return;
  input.value = '';
  session.set(key);
  connect(key);
});

byId('lock').addEventListener('click', () => {
  session.clear();
  showLogin();
});

window.setInterval(() => {
  const live = byId('status').dataset.state === 'live';
  if (client && live && Date.now() - lastUpdate > STALE_MS) renderConnection('stale');
}, 1_000);

setUpHistoryRange(() => session.key);

const saved = session.key;
if (saved) connect(saved);
else showLogin();
