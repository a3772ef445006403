/**
 * The provider, model and endpoint an attempt went to, as observers label
 * it. Built once per deployment and endpoint and reused, so events on the
 * request path carry a shared frozen object instead of fresh strings.
 */
import type { Endpoint } from '../providers/adapter.js';
import type { Deployment } from './deployment.js';
import type { UpstreamIdentity } from './events.js';

const known = new WeakMap<Deployment, Map<Endpoint, UpstreamIdentity>>();

export function upstreamIdentity(deployment: Deployment, endpoint: Endpoint): UpstreamIdentity {
  let byEndpoint = known.get(deployment);
  if (!byEndpoint) {
    byEndpoint = new Map();
    known.set(deployment, byEndpoint);
  }
  let identity = byEndpoint.get(endpoint);
  if (!identity) {
    identity = Object.freeze({ provider: deployment.adapter.kind, model: deployment.config.model, endpoint });
    byEndpoint.set(endpoint, identity);
  }
  return identity;
}
