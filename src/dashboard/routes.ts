/**
 * The dashboard's routes in the gateway's table:
 *
 *   GET /dashboard                 the page (no key needed: it holds no data, it asks for the key)
 *   GET /dashboard/assets/<file>   its bundled script and styles
 *   GET /admin/v1/state            one JSON snapshot          ┐ admin key required:
 *   GET /admin/v1/stream           Server-Sent Events, 1/s    │ 401 without, 403 when none is configured
 *   GET /admin/v1/history?range=   the recorded 1h | 24h | 7d ┘
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from '../gateway/context.js';
import { sendJson, sendText } from '../gateway/respond.js';
import type { Router } from '../gateway/routes.js';
import { presentedAdminKey } from './admin-key.js';
import { sourceOf } from './admin-throttle.js';
import { ASSET_FILES, type DashboardAssets, loadAssets } from './assets.js';
import type { Dashboard } from './dashboard.js';
import { isHistoryRange } from './history-view.js';
import type { AdminError } from './wire.js';

/** The page loads only its own files and talks only to its own origin. */
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = ['x-content-type-options', 'nosniff', 'referrer-policy', 'no-referrer'];

export function mountDashboardRoutes(router: Router, dashboard: Dashboard): void {
  let assets: DashboardAssets | undefined;
  const loaded = (): DashboardAssets | undefined => {
    assets ??= loadAssets(dashboard.assetsDir);
    return assets;
  };

  const page = (_ctx: GatewayContext, _req: IncomingMessage, res: ServerResponse) => {
    const built = loaded();
    if (!built) {
      sendText(
        res,
        503,
        `The dashboard is not built (looked in ${dashboard.assetsDir}): run npm run build.\n`,
      );
      return;
    }
    const body = Buffer.from(built.html);
    res.writeHead(200, [
      'content-type',
      'text/html; charset=utf-8',
      'content-length',
      String(body.length),
      'cache-control',
      'no-cache',
      'content-security-policy',
      PAGE_POLICY,
      'x-frame-options',
      'DENY',
      ...COMMON_HEADERS,
    ]);
    res.end(body);
  };
  router.add('GET', '/dashboard', page);
  router.add('GET', '/dashboard/', page);

  for (const name of Object.keys(ASSET_FILES)) {
    router.add('GET', `/dashboard/assets/${name}`, (_ctx, req, res) => {
      const asset = loaded()?.files.get(name);
      if (!asset) {
        sendText(res, 404, 'not built\n');
        return;
      }
      const etag = `"${asset.hash}"`;
      const current = new URL(req.url ?? '/', 'http://x').searchParams.get('v') === asset.hash;
      const headers = [
        'etag',
        etag,
        'cache-control',
        current ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...COMMON_HEADERS,
      ];
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, [
        'content-type',
        asset.contentType,
        'content-length',
        String(asset.body.length),
        ...headers,
      ]);
      res.end(asset.body);
    });
  }

  router.add('GET', '/admin/v1/state', (ctx, req, res) => {
    if (!authorized(dashboard, req, res)) return;
    dashboard.snapshot().then(
      (snapshot) => sendJson(res, 200, snapshot, ['cache-control', 'no-store', ...COMMON_HEADERS]),
      (error: unknown) => {
        ctx.logger.error({ err: error }, 'dashboard: snapshot failed');
        sendJson(res, 500, adminError('snapshot_failed', 'Reading the gateway state failed; see the log.'));
      },
    );
  });

  router.add('GET', '/admin/v1/history', (ctx, req, res) => {
    if (!authorized(dashboard, req, res)) return;
    const range = new URL(req.url ?? '/', 'http://x').searchParams.get('range');
    if (!isHistoryRange(range)) {
      sendJson(res, 400, adminError('invalid_range', 'Ask for range=1h, 24h or 7d.'), [
        'cache-control',
        'no-store',
      ]);
      return;
    }
    dashboard.historyView(range).then(
      (view) =>
        view
          ? sendJson(res, 200, view, ['cache-control', 'no-store', ...COMMON_HEADERS])
          : sendJson(
              res,
              404,
              adminError('history_disabled', 'This gateway records no history (history.enabled: false).'),
            ),
      (error: unknown) => {
        ctx.logger.error({ err: error }, 'dashboard: reading the history failed');
        sendJson(res, 503, adminError('history_unavailable', 'Reading the history failed; see the log.'));
      },
    );
  });

  router.add('GET', '/admin/v1/stream', (ctx, req, res) => {
    if (!authorized(dashboard, req, res)) return;
    if (ctx.draining || dashboard.stream.isClosed) {
      sendJson(res, 503, adminError('shutting_down', 'The gateway is shutting down.'));
      return;
    }
    const opened = dashboard.adminKey();
    dashboard.stream.subscribe(res, () => dashboard.adminKey()?.sameAs(opened) ?? false);
  });
}

/**
 * Answers 401/403/429 and returns false unless the request carries the admin
 * key. A source that sent too many wrong keys gets 429 before its key is
 * even looked at (admin-throttle.ts).
 */
function authorized(dashboard: Dashboard, req: IncomingMessage, res: ServerResponse): boolean {
  const key = dashboard.adminKey();
  if (!key) {
    sendJson(
      res,
      403,
      adminError(
        'admin_disabled',
        'The admin API is off: set admin.key (or admin.key_sha256) in the gateway configuration.',
      ),
      ['cache-control', 'no-store'],
    );
    return false;
  }
  const source = sourceOf(req.socket.remoteAddress);
  const waitMs = dashboard.adminRetryAfterMs(source);
  if (waitMs > 0) {
    dashboard.adminAuthFailed(source, 'throttled');
    const seconds = Math.ceil(waitMs / 1_000);
    sendJson(
      res,
      429,
      adminError(
        'too_many_attempts',
        `Too many wrong admin keys from this address; try again in ${seconds} s.`,
      ),
      ['retry-after', String(seconds), 'cache-control', 'no-store'],
    );
    return false;
  }
  const presented = presentedAdminKey(req.headers);
  if (key.matches(presented)) return true;
  // No key at all is not a guess (a page that has not asked for one yet).
  if (presented !== undefined) dashboard.adminAuthFailed(source, 'wrong_key');
  sendJson(
    res,
    401,
    adminError(
      'invalid_admin_key',
      'Send the admin key as "Authorization: Bearer <key>" or "x-sluice-admin-key: <key>".',
    ),
    ['www-authenticate', 'Bearer realm="sluice-admin"', 'cache-control', 'no-store'],
  );
  return false;
}

function adminError(code: string, message: string): AdminError {
  return { error: { code, message } };
}
