/**
 * Config reload (SIGHUP) without dropping requests: the new file is read and
 * validated in full, the topology is built, and only then swapped in — the
 * governor's `reconfigure` keeps the state (circuits, learned limits) of
 * deployments whose config did not change, and calls in flight finish on the
 * deployments they hold. Any error leaves the old configuration in force.
 * Settings bound at start (listen addresses, store, priority classes, queue
 * sizes) need a restart; a reload whose file differs from the values the
 * process started with says so and applies the rest. The comparison is with
 * the start, not with the previous file: a setting put back to its running
 * value needs no restart, and one still different keeps saying so.
 */
import { isDeepStrictEqual } from 'node:util';
import { toTopology } from '../config/to-topology.js';
import { TenantKeys } from './auth.js';
import { GatewayConfigError, loadConfigFile } from './config/load.js';
import type { GatewayConfig } from './config/schema.js';
import { type GatewayContext, requestSettings } from './context.js';
import type { GatewayLogger } from './logging.js';

export type ReloadResult =
  | { readonly ok: true; readonly restartNeeded: readonly string[] }
  | { readonly ok: false; readonly error: string };

/** Settings read once at start. */
const FIXED_AT_START = [
  'listen',
  'metrics',
  'store',
  'history',
  'priorities',
  'queue',
  'upstream',
  'server.headers_timeout_ms',
  'server.request_timeout_ms',
  'server.keep_alive_timeout_ms',
  'server.idle_timeout_ms',
  'server.workers',
  'log.level',
] as const;

export interface ReloadInput {
  context: GatewayContext;
  /** The configuration the process started with: what the settings fixed at start still are. */
  started: GatewayConfig;
  next: GatewayConfig;
  logger: GatewayLogger;
}

export function applyReload({ context, started, next, logger }: ReloadInput): ReloadResult {
  try {
    const keys = new TenantKeys(next.tenants);
    context.governor.reconfigure(toTopology(next));
    context.keys = keys;
    context.settings = requestSettings(next);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error(
      { error: message },
      'configuration reload refused; the previous configuration stays in force',
    );
    return { ok: false, error: message };
  }
  const restartNeeded = FIXED_AT_START.filter(
    (path) => !isDeepStrictEqual(at(started, path), at(next, path)),
  );
  if (restartNeeded.length > 0) {
    logger.warn(
      { settings: restartNeeded },
      'configuration reloaded; these settings take effect only after a restart',
    );
  } else {
    logger.info(
      { groups: Object.keys(next.model_groups).length, tenants: next.tenants.length },
      'configuration reloaded',
    );
  }
  return { ok: true, restartNeeded };
}

/** Reads and validates `path` for a reload; a bad file is logged and reported, never thrown. */
export async function loadForReload(
  path: string,
  logger: GatewayLogger,
): Promise<{ ok: true; config: GatewayConfig } | { ok: false; error: string }> {
  try {
    return { ok: true, config: await loadConfigFile(path) };
  } catch (error) {
    const message = error instanceof GatewayConfigError ? error.message : String(error);
    logger.error(
      { error: message },
      'configuration reload refused; the previous configuration stays in force',
    );
    return { ok: false, error: message };
  }
}

function at(config: GatewayConfig, path: string): unknown {
  let value: unknown = config;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}
