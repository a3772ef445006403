/**
 * Which of the caller's headers and query parameters go upstream, decided
 * here for both faces (STYLE.md rule 10), with one named difference:
 *
 * - `allow-list` (the gateway: tenants are not trusted with the gateway's
 *   keys): only what the family's forwarding table allows; betas only as
 *   far as the deployment's `forwardBetas` allows (default: none).
 * - `as-sent` (`governor.fetch` by default: the app owns the call and often
 *   the key): every header and the whole query, as `fetch` would send them.
 *
 * Either way the deployment's own query (Azure's `api-version` in its base
 * URL) wins over a parameter of the same name from the caller, and a
 * header the API requires gets its default when the caller sent none.
 */
import { API_FAMILIES, type ApiFamily } from '../providers/api-family.js';
import type { ForwardingRules } from '../providers/forwarding.js';
import type { Deployment } from './deployment.js';
import type { CallShape } from './upstream-target.js';

export type Forwarding = 'allow-list' | 'as-sent';

/** Which betas a deployment passes on: all, the named ones, or (undefined, false) none. */
export type ForwardBetas = boolean | readonly string[];

const FORWARDABLE: Readonly<Record<ApiFamily, readonly string[]>> = Object.freeze({
  openai: namesOf(API_FAMILIES.openai.forwarding),
  anthropic: namesOf(API_FAMILIES.anthropic.forwarding),
  gemini: namesOf(API_FAMILIES.gemini.forwarding),
});

function namesOf(rules: ForwardingRules): readonly string[] {
  const names = [...rules.headers, ...(rules.betaHeader ? [rules.betaHeader] : [])];
  return Object.freeze([...new Set(names)]);
}

/** Every header an allow-listed call of this family can forward: all a face needs to collect. */
export function forwardableHeaders(family: ApiFamily): readonly string[] {
  return FORWARDABLE[family];
}

/** The caller's headers that go to this deployment (before the deployment's own headers and key). */
export function forwardedHeaders(deployment: Deployment, call: CallShape): Record<string, string> {
  const rules = API_FAMILIES[call.family].forwarding;
  const caller = call.forwardHeaders;
  let out: Record<string, string>;
  if (call.forwarding === 'as-sent') {
    out = { ...caller };
  } else {
    out = {};
    for (const name of rules.headers) {
      const value = caller[name];
      if (value !== undefined) out[name] = value;
    }
    const beta = rules.betaHeader;
    const betas = beta === undefined ? undefined : allowedBetas(caller[beta], deployment.config.forwardBetas);
    if (beta !== undefined && betas !== undefined) out[beta] = betas;
  }
  for (const [name, value] of Object.entries(rules.defaults)) out[name] ??= value;
  return out;
}

/** The betas of a `…-beta` header value the deployment allows, or undefined when none is left. */
function allowedBetas(value: string | undefined, allowed: ForwardBetas | undefined): string | undefined {
  if (value === undefined || allowed === undefined || allowed === false) return undefined;
  const kept = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0 && (allowed === true || allowed.includes(name)));
  return kept.length > 0 ? kept.join(',') : undefined;
}

/**
 * The query string sent upstream (`''` or `?…`): the deployment's own
 * parameters, then the caller's (all of them, or those the endpoint allows
 * with an allowed value), minus any the deployment already set.
 */
export function upstreamQuery(deployment: Deployment, call: CallShape, search: string): string {
  const own = deployment.baseQuery;
  if (own.size === 0 && call.forwarding === 'as-sent') return search;
  if (own.size === 0 && search.length <= 1) return '';
  const allowed =
    call.forwarding === 'as-sent'
      ? undefined
      : (API_FAMILIES[call.family].forwarding.query[call.endpoint] ?? {});
  const out = new URLSearchParams(own);
  if (search.length > 1) {
    for (const [name, value] of new URLSearchParams(search)) {
      if (own.has(name)) continue;
      if (allowed && !(Object.hasOwn(allowed, name) && allowed[name]?.includes(value))) continue;
      out.append(name, value);
    }
  }
  const query = out.toString();
  return query.length > 0 ? `?${query}` : '';
}
