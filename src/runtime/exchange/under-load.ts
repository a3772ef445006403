/**
 * What a call's group's load changes about the call before it is served:
 * the output clamp of mitigation (`clamp_max_tokens` for the classes it
 * names), applied before the response cache and the estimate so both see
 * the call as it will be sent; and, after it is served, the load signal on
 * the answer (`x-sluice-load`).
 */
import { capOutput } from '../../providers/output-cap.js';
import type { Governor } from '../governor.js';
import type { Answer } from './answer.js';
import type { Call } from './call.js';

export interface ShapedCall {
  readonly call: Call;
  /** The group the call names (undefined: none known; no load to tell). */
  readonly group: string | undefined;
  /** The output cap mitigation set, when it lowered the call's. */
  readonly outputCap: number | undefined;
}

export function shapeUnderLoad(governor: Governor, call: Call): ShapedCall {
  const group = call.model === undefined ? undefined : governor.groups.group(call.model)?.name;
  if (group === undefined || !governor.mitigations.on(group)) return { call, group, outputCap: undefined };
  const tenants = governor.groups.tenants;
  const tenant = tenants.resolve(call.tenant);
  if (!tenant) return { call, group, outputCap: undefined };
  const className = governor.classes.nameOf(tenants.priorityFor(tenant, call.priority));
  const cap = governor.mitigations.outputCap(group, className);
  const body = cap === undefined ? undefined : capOutput(call.endpoint, call.body, cap);
  if (!body || cap === undefined) return { call, group, outputCap: undefined };
  governor.mitigations.applied(group, 'clamp_max_tokens', tenant.id);
  return { call: { ...call, body, rawBody: JSON.stringify(body) }, group, outputCap: cap };
}

/** Adds the group's load level (and what mitigation changed) to the answer's headers. */
export function signalLoad(answer: Answer, governor: Governor, shaped: ShapedCall): Answer {
  if (shaped.group === undefined) return answer;
  answer.headers.push('x-sluice-load', governor.load(shaped.group).level);
  if (shaped.outputCap !== undefined)
    answer.headers.push('x-sluice-max-tokens-clamped', String(shaped.outputCap));
  return answer;
}
