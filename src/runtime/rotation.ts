/**
 * Taking keys that cannot serve out of rotation (issue 15): a key out of
 * credit, quota or spend limit, or whose credentials the provider refused,
 * answers every call the same way until someone acts or the provider's reset
 * comes, so it must stop getting traffic at its first such answer rather than
 * fail one call in two. Its circuit opens (circuit-breaker.ts: until the reset
 * or the next probe) and routing skips it; by the outage's scope, so do the
 * deployments sending the same key, and for an organisation's outage every
 * deployment sharing a pool (an org or project limit) with it.
 */
import type { CannotServe, ProviderError } from '../providers/adapter.js';
import type { CircuitAttempt } from './circuit-breaker.js';
import type { Deployment } from './deployment.js';
import { inSeconds, type Refusal, refusal } from './refusal.js';

/**
 * The outage an answer reports for `deployment`. Only a key the deployment
 * holds can be out: with a caller's own key forwarded, the failure is that
 * caller's, and other callers' keys still work.
 */
export function outageOf(deployment: Deployment, error: ProviderError): CannotServe | undefined {
  return deployment.config.apiKey ? error.cannotServe : undefined;
}

/**
 * Opens `deployment`'s circuit for `outage`, and those of the deployments
 * the outage also covers (`all`: every deployment of the topology). An
 * answer to an attempt sent before the circuit last opened or closed is
 * stale and changes nothing, so a probe's success is never undone by a
 * late answer of the burst that took the key out.
 */
export function takeOutOfRotation(input: {
  deployment: Deployment;
  attempt: CircuitAttempt;
  outage: CannotServe;
  now: number;
  all: readonly Deployment[];
}): void {
  const { deployment, attempt, outage, now } = input;
  const keyOutage = { reason: outage.reason, resumeAt: outage.resumeAt };
  if (!deployment.circuit.recordCannotServe(attempt, now, keyOutage)) return;
  for (const other of alsoOut(deployment, outage, input.all)) other.circuit.shutOut(now, keyOutage);
}

/**
 * What a call is told when every deployment it could use is out because
 * its key cannot serve: what the provider said, in Sluice's words and the
 * caller's format (429 out of quota, or the operator's credentials
 * refused), final, so official SDKs do not retry. Undefined when any of
 * them is out for another reason (or not out at all).
 */
export function outageRefusal(input: {
  deployments: readonly Deployment[];
  group: string;
  now: number;
}): Refusal | undefined {
  const { deployments, group, now } = input;
  const reasons = deployments.map((d) => d.circuit.outageAt(now));
  if (reasons.length === 0 || reasons.some((r) => r === undefined)) return undefined;
  const retryAfterMs = Math.min(...deployments.map((d) => d.circuit.retryInMs(now)).filter((ms) => ms > 0));
  const detail = Number.isFinite(retryAfterMs) ? ` Sluice asks again in ${inSeconds(retryAfterMs)}.` : '';
  if (reasons.every((r) => r === 'credentials')) {
    const message = `The provider refused the credentials configured for model \`${group}\`; tell the operator.${detail}`;
    return refusal('upstream_credentials', message);
  }
  const message = `The provider's quota or credit for model \`${group}\` is used up; tell the operator.${detail}`;
  return refusal('insufficient_quota', message);
}

/** The other deployments an outage of `deployment` covers. */
export function alsoOut(
  deployment: Deployment,
  outage: CannotServe,
  all: readonly Deployment[],
): Deployment[] {
  if (outage.scope === 'deployment') return [];
  // A project's outage stops only that project: its key's deployments, not the org pools it shares.
  const pools = new Set(outage.scope === 'organization' ? (deployment.config.pools ?? []) : []);
  return all.filter(
    (other) =>
      other !== deployment &&
      other.config.apiKey !== undefined &&
      (sameKey(other, deployment) || (other.config.pools ?? []).some((pool) => pools.has(pool))),
  );
}

function sameKey(a: Deployment, b: Deployment): boolean {
  return (
    a.config.apiKey === b.config.apiKey &&
    a.config.provider === b.config.provider &&
    new URL(a.baseUrl).origin === new URL(b.baseUrl).origin
  );
}
