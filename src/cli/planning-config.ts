/**
 * The gateway configuration as `sluice plan` and `sluice report` read it:
 * they need its limits, prices and store, not its upstream keys, so a
 * variable the environment lacks reads as a placeholder instead of failing.
 */
import { loadConfigFile } from '../gateway/config/load.js';
import type { GatewayConfig } from '../gateway/config/schema.js';
import { PlanError } from '../planning/plan.js';

const PLACEHOLDER_ENV = new Proxy(process.env, {
  get: (env, name: string) => env[name] ?? 'unset',
});

/** `--config`, else `$SLUICE_CONFIG`; throws `PlanError` when neither names a file. */
export function planningConfig(path: string | undefined): Promise<GatewayConfig> {
  const file = path ?? process.env.SLUICE_CONFIG;
  if (!file) throw new PlanError('no configuration: pass --config sluice.yaml or set SLUICE_CONFIG');
  return loadConfigFile(file, PLACEHOLDER_ENV);
}
