/**
 * Where a forwarded batch goes: the deployment's base URL laid out by its
 * adapter (OpenAI's `…/v1` base drops the caller's `/v1`, Anthropic's goes
 * on as is), its own headers and its key. Only deployments with a key of
 * their own can take a batch: a batch is sent long after its caller left,
 * so there is no caller's key to pass on.
 */

import { CREDENTIAL_HEADERS } from '../../providers/upstream-url.js';
import type { Deployment } from '../../runtime/deployment.js';
import type { BatchApi } from '../batch.js';

/** https://docs.anthropic.com/en/api/versioning: the version every Anthropic request must name. */
const ANTHROPIC_VERSION = '2023-06-01';

/** The providers whose Batch API Sluice forwards to (the batch's API must be theirs). */
export type ForwardProvider = 'openai' | 'anthropic';

export interface ForwardTarget {
  readonly deployment: string;
  readonly provider: ForwardProvider;
  /** The model name upstream knows; every line's `model` is rewritten to it. */
  readonly model: string;
  /** The full URL of a provider path such as `/v1/batches`. */
  url(path: string): string;
  /** The deployment's configured headers and its credentials. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The target of a deployment, or undefined when it cannot take a batch of `api`. */
export function forwardTarget(deployment: Deployment, api: BatchApi): ForwardTarget | undefined {
  const config = deployment.config;
  if (config.provider !== api || config.apiKey === undefined) return undefined;
  const credentials = new Set(CREDENTIAL_HEADERS);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    if (!credentials.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  // Nobody's request carries the API version here (the gateway passes the caller's on): send the one the API requires.
  if (api === 'anthropic' && headers['anthropic-version'] === undefined) {
    headers['anthropic-version'] = ANTHROPIC_VERSION;
  }
  Object.assign(headers, deployment.adapter.authHeaders(config.apiKey));
  const query = deployment.baseQuery.toString();
  return Object.freeze({
    deployment: deployment.id,
    provider: api,
    model: config.model,
    headers: Object.freeze(headers),
    url: (path: string) =>
      `${deployment.baseUrl}${deployment.adapter.upstreamPath({
        family: api,
        endpoint: 'scheduled',
        pathname: path,
        model: config.model,
        basePath: deployment.basePath,
      })}${query === '' ? '' : `?${query}`}`,
  });
}

/** The first deployment of the group that takes batches of `api` (the group's order is the config's). */
export function forwardDeploymentOf(
  deployments: readonly Deployment[],
  api: BatchApi,
): Deployment | undefined {
  return deployments.find((d) => forwardTarget(d, api) !== undefined);
}
