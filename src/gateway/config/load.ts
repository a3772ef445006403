/**
 * Reading the gateway configuration: the file (or `SLUICE_CONFIG`), YAML,
 * `${ENV_VAR}` interpolation for secrets, then the gateway's schema (the
 * shared loader in config/load.ts). Every failure is a `GatewayConfigError`
 * whose message names the file, the key path and what was expected, and
 * never echoes a value (values may be secrets).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, type Env, parseConfigTextWith, parseConfigWith } from '../../config/load.js';
import { type GatewayConfig, type GatewayConfigInput, gatewayConfigSchema } from './schema.js';

export { type Env, keyPath, quoteBareVariables } from '../../config/load.js';

export class GatewayConfigError extends ConfigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayConfigError';
  }
}

/** Where batches and files live when `data_dir` is not set: beside the config file (or the working directory). */
export const DEFAULT_DATA_DIR = 'sluice-data';

/**
 * Reads, interpolates and validates a YAML (or JSON) configuration file.
 * `data_dir` is resolved against the file's folder (default `sluice-data`
 * there), so the gateway finds its batches whatever directory it starts in.
 */
export async function loadConfigFile(path: string, env: Env = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new GatewayConfigError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const config = parseConfigText(text, path, env);
  return { ...config, data_dir: resolve(dirname(path), config.data_dir ?? DEFAULT_DATA_DIR) };
}

export function parseConfigText(text: string, source: string, env: Env = process.env): GatewayConfig {
  return asGatewayError(() => parseConfigTextWith(gatewayConfigSchema, text, source, env));
}

/** Validates a configuration object (already parsed), after interpolating `${VAR}` in its strings. */
export function parseConfig(data: unknown, source: string, env: Env = process.env): GatewayConfig {
  return asGatewayError(() => parseConfigWith(gatewayConfigSchema, data, source, env));
}

/** The input type, for configs built in code (the demo, tests). */
export type { GatewayConfigInput };

function asGatewayError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError && !(error instanceof GatewayConfigError))
      throw new GatewayConfigError(error.message, { cause: error.cause });
    throw error;
  }
}
