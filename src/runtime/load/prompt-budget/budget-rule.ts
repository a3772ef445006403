/**
 * Which prompt budget is in force: a tier and a model group may each set
 * one, in force always or from a load level on (`warn` covers `act` too);
 * when both are in force the smaller wins, since each is a ceiling its
 * owner asked for.
 */
import { ALERT_NAMES } from '../../load/bucket-levels.js';
import type { LoadLevelName } from '../../load/load-level.js';

export interface PromptBudgetRule {
  /** Estimated prompt tokens a request may carry upstream. */
  readonly tokens: number;
  /** From which load level on the budget applies; `always`: whatever the load. */
  readonly when: 'warn' | 'act' | 'always';
}

export function inForce(rule: PromptBudgetRule, level: LoadLevelName): boolean {
  // The alert names run from `ok` up: a level at or past `when` is in force.
  return rule.when === 'always' || ALERT_NAMES.indexOf(level) >= ALERT_NAMES.indexOf(rule.when);
}

/** The smallest budget of `rules` in force at `level`; undefined: none is, nothing is trimmed. */
export function promptBudgetAt(
  rules: readonly (PromptBudgetRule | undefined)[],
  level: LoadLevelName,
): number | undefined {
  let budget: number | undefined;
  for (const rule of rules) {
    if (rule && inForce(rule, level))
      budget = budget === undefined ? rule.tokens : Math.min(budget, rule.tokens);
  }
  return budget;
}
