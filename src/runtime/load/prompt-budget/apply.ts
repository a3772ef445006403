/**
 * Prompt budgeting of one call, before the response cache and the governor
 * see it: the budget in force for its tenant on its group at the group's
 * load level, and the call with its body trimmed to it. The trimmed body is
 * what the cache keys on, admission estimates and the upstream receives.
 */
import type { Call } from '../../exchange/call.js';
import type { LoadLevelName } from '../../load/load-level.js';
import type { ModelGroup } from '../../model-groups.js';
import type { Tenant } from '../../tenants.js';
import { promptBudgetAt } from './budget-rule.js';
import { trimPrompt } from './trim-prompt.js';

/** The header an answer says how many prompt tokens were dropped in (only when some were). */
export const PROMPT_TRIMMED_HEADER = 'x-sluice-prompt-trimmed-tokens';

export interface PromptBudgetScope {
  readonly group: ModelGroup;
  readonly tenant: Tenant;
  /** The group's load level now. */
  readonly level: LoadLevelName;
}

/** The prompt budget `tenant` has on `group` at `level` (the smaller of tier's and group's in force); undefined: none. */
export function promptBudgetFor(scope: PromptBudgetScope): number | undefined {
  return promptBudgetAt([scope.tenant.promptBudget, scope.group.promptBudget], scope.level);
}

/**
 * `call` with its prompt trimmed to the budget in force, re-serialized; the
 * same `call` (untouched) with `trimmedTokens` 0 when no budget is in force
 * or nothing was dropped.
 */
export function applyPromptBudget(
  call: Call,
  scope: PromptBudgetScope,
): { call: Call; trimmedTokens: number } {
  const budget = promptBudgetFor(scope);
  if (budget === undefined || call.body === undefined) return { call, trimmedTokens: 0 };
  const trim = trimPrompt(call, call.body, budget);
  if (trim.trimmedTokens === 0) return { call, trimmedTokens: 0 };
  return {
    call: { ...call, body: trim.body, rawBody: JSON.stringify(trim.body) },
    trimmedTokens: trim.trimmedTokens,
  };
}
