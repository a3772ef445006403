/**
 * What a call's group's load changes about the call before it is served,
 * in one place, before the response cache and the estimate so both see the
 * call as it will be sent:
 * - the prompt budget in force for its tenant on its group at the group's
 *   load level (`load/prompt-budget/`): the conversation trimmed;
 * - while the group mitigates, the output clamp (`clamp_max_tokens` for
 *   the classes it names).
 * After it is served, the answer says so: `x-sluice-load` (the group's
 * level), and `x-sluice-prompt-trimmed-tokens` / `x-sluice-max-tokens-clamped`
 * when those changed the call.
 */
import { capOutput } from '../../providers/output-cap.js';
import type { Governor } from '../governor.js';
import { applyPromptBudget, PROMPT_TRIMMED_HEADER } from '../load/prompt-budget/apply.js';
import { mayUse } from '../tenants.js';
import type { Answer } from './answer.js';
import type { Call } from './call.js';

export interface ShapedCall {
  readonly call: Call;
  /** The group the call names (undefined: none known; no load to tell). */
  readonly group: string | undefined;
  /** Prompt tokens the budget dropped (0: none). */
  readonly trimmedTokens: number;
  /** The output cap mitigation set, when it lowered the call's. */
  readonly outputCap: number | undefined;
}

export function shapeUnderLoad(governor: Governor, call: Call): ShapedCall {
  const group = call.model === undefined ? undefined : governor.groups.group(call.model);
  const tenants = governor.groups.tenants;
  const tenant = tenants.resolve(call.tenant);
  if (!group || !tenant || !mayUse(tenant, group.name))
    return { call, group: group?.name, trimmedTokens: 0, outputCap: undefined };
  const level = governor.load(group.name).level;
  const budgeted = applyPromptBudget(call, { group, tenant, level });
  const shaped = { call: budgeted.call, group: group.name, trimmedTokens: budgeted.trimmedTokens };
  if (!governor.mitigations.on(group.name)) return { ...shaped, outputCap: undefined };
  const className = governor.classes.nameOf(tenants.priorityFor(tenant, call.priority));
  const cap = governor.mitigations.outputCap(group.name, className);
  const body = cap === undefined ? undefined : capOutput(call.endpoint, shaped.call.body, cap);
  if (!body || cap === undefined) return { ...shaped, outputCap: undefined };
  governor.mitigations.applied(group.name, 'clamp_max_tokens', tenant.id);
  return { ...shaped, call: { ...shaped.call, body, rawBody: JSON.stringify(body) }, outputCap: cap };
}

/** A call as it came: what an answer not served now (an idempotent replay) signals the load with. */
export function unshaped(governor: Governor, call: Call): ShapedCall {
  const group = call.model === undefined ? undefined : governor.groups.group(call.model)?.name;
  return { call, group, trimmedTokens: 0, outputCap: undefined };
}

/** Adds the group's load level (and what the load changed about the call) to the answer's headers. */
export function signalLoad(answer: Answer, governor: Governor, shaped: ShapedCall): Answer {
  if (shaped.group === undefined) return answer;
  const headers = answer.headers;
  headers.push('x-sluice-load', governor.load(shaped.group).level);
  if (shaped.trimmedTokens > 0) headers.push(PROMPT_TRIMMED_HEADER, String(shaped.trimmedTokens));
  if (shaped.outputCap !== undefined) headers.push('x-sluice-max-tokens-clamped', String(shaped.outputCap));
  return answer;
}
