/**
 * What a model group does, on its own, while its load level is `act`
 * (issue 20: "at 90 %, automatic mitigation should engage: aggressive
 * model routing, reduced background processing, and user-facing rate
 * limiting"). Each action is opt-in; a group without `mitigation` changes
 * nothing under load but its `x-sluice-load` header.
 */
export interface MitigationConfig {
  /** Calls of these tiers go to the group's `downgrade.to` group whenever it can take them, no header needed. */
  readonly downgradeTiers?: readonly string[] | undefined;
  /** Calls of these classes ask for at most `to` output tokens (set when the caller named none). */
  readonly clampMaxTokens?: { readonly classes: readonly string[]; readonly to: number } | undefined;
  /** Calls of these classes (e.g. `low`, `background`) wait, up to their deadline, until the level drops. */
  readonly pauseClasses?: readonly string[] | undefined;
  /** The budgets of these tiers' tenants shrink to `factor` of their limits. */
  readonly tighten?: { readonly tiers: readonly string[]; readonly factor: number } | undefined;
  /** The least time mitigation stays on once engaged, so a group at the edge does not flap. Default 10 s. */
  readonly holdMs?: number | undefined;
}

export type MitigationAction = 'downgrade' | 'clamp_max_tokens' | 'pause' | 'tighten';

export const DEFAULT_HOLD_MS = 10_000;

/** The actions `config` turns on, in a fixed order (what is logged and counted). */
export function actionsOf(config: MitigationConfig): MitigationAction[] {
  const out: MitigationAction[] = [];
  if (config.downgradeTiers?.length) out.push('downgrade');
  if (config.clampMaxTokens?.classes.length) out.push('clamp_max_tokens');
  if (config.pauseClasses?.length) out.push('pause');
  if (config.tighten?.tiers.length) out.push('tighten');
  return out;
}
