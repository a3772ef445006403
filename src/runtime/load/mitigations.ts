/**
 * Mitigation engaged per model group: on when the group's load reaches
 * `act`, off once it is below `act` again and has been on for at least
 * `holdMs` (the level itself already has a hysteresis). While on, the
 * governor asks it what to do with each call: downgrade, clamp the output,
 * wait (pause), or charge a tightened budget. Each action turning on or off
 * is one `mitigation` event (logged once, counted, on the dashboard); each
 * call it changed is one `mitigated` event.
 */
import type { Cancel, Clock } from '../../core/clock.js';
import type { Emit } from '../events.js';
import type { Tenant } from '../tenants.js';
import {
  actionsOf,
  DEFAULT_HOLD_MS,
  type MitigationAction,
  type MitigationConfig,
} from './mitigation-config.js';

interface Engaged {
  readonly since: number;
  readonly config: MitigationConfig;
}

interface PausedCall {
  readonly className: string;
  readonly wake: () => void;
}

export class Mitigations {
  private readonly engaged = new Map<string, Engaged>();
  private readonly paused = new Map<string, Set<PausedCall>>();

  constructor(
    private readonly clock: Clock,
    private readonly emit: Emit,
  ) {}

  /** Whether `group` mitigates now. */
  on(group: string): boolean {
    return this.engaged.has(group);
  }

  /** The actions in force for `group` (empty when off). */
  active(group: string): MitigationAction[] {
    const e = this.engaged.get(group);
    return e ? actionsOf(e.config) : [];
  }

  /** Feeds the group's level after a sample; turns mitigation on or off. */
  onLevel(group: string, acting: boolean, config: MitigationConfig | undefined, now: number): void {
    const e = this.engaged.get(group);
    if (!e) {
      if (acting && config && actionsOf(config).length > 0) this.engage(group, config, now);
      return;
    }
    if (!config || actionsOf(config).length === 0) {
      this.release(group, e); // turned off by a reload
      return;
    }
    if (config !== e.config) {
      this.engaged.set(group, { since: e.since, config });
      this.wakeUnpaused(group);
    }
    if (!acting && now - e.since >= (config.holdMs ?? DEFAULT_HOLD_MS)) this.release(group, e);
  }

  /** Forgets groups a reload removed. */
  retain(groups: ReadonlySet<string>): void {
    for (const [group, e] of this.engaged) if (!groups.has(group)) this.release(group, e);
  }

  /** Whether a call of `tenant` on `group` is sent to the group's cheaper one. */
  downgrades(group: string, tenant: Tenant): boolean {
    const tiers = this.engaged.get(group)?.config.downgradeTiers;
    return tiers !== undefined && tenant.tier !== undefined && tiers.includes(tenant.tier);
  }

  /** The output cap for a call of class `className` on `group`, when one applies. */
  outputCap(group: string, className: string): number | undefined {
    const clamp = this.engaged.get(group)?.config.clampMaxTokens;
    return clamp?.classes.includes(className) ? clamp.to : undefined;
  }

  /** The factor `tenant`'s budget is charged at on `group` (1: not tightened). */
  budgetFactor(group: string, tenant: Tenant): number {
    const tighten = this.engaged.get(group)?.config.tighten;
    return tighten && tenant.tier !== undefined && tighten.tiers.includes(tenant.tier) ? tighten.factor : 1;
  }

  /** Whether calls of `className` on `group` wait for mitigation to end. */
  pauses(group: string, className: string): boolean {
    return this.engaged.get(group)?.config.pauseClasses?.includes(className) === true;
  }

  /**
   * Waits while `group` pauses `className`: true once it no longer does,
   * false when `deadline` comes first or `signal` aborts.
   */
  whilePaused(group: string, className: string, deadline: number, signal?: AbortSignal): Promise<boolean> {
    if (!this.pauses(group, className)) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let cancelTimer: Cancel | undefined;
      const calls = this.paused.get(group) ?? new Set<PausedCall>();
      this.paused.set(group, calls);
      const finish = (resumed: boolean) => {
        if (!calls.delete(call)) return;
        cancelTimer?.();
        signal?.removeEventListener('abort', onAbort);
        resolve(resumed);
      };
      const call: PausedCall = { className, wake: () => finish(true) };
      const onAbort = () => finish(false);
      calls.add(call);
      signal?.addEventListener('abort', onAbort, { once: true });
      const wait = deadline - this.clock.now();
      if (Number.isFinite(wait)) cancelTimer = this.clock.schedule(Math.max(0, wait), () => finish(false));
    });
  }

  /** How long mitigation of `group` stays on at least (its hold left; 1 s when past it): a paused call's Retry-After. */
  holdLeftMs(group: string, now: number): number {
    const e = this.engaged.get(group);
    if (!e) return 1_000;
    return Math.max(1_000, e.since + (e.config.holdMs ?? DEFAULT_HOLD_MS) - now);
  }

  /** Calls waiting out a pause now, per group. */
  pausedCount(group: string): number {
    return this.paused.get(group)?.size ?? 0;
  }

  /** A call `action` changed (counted by the metrics). */
  applied(group: string, action: MitigationAction, tenant: string): void {
    this.emit('mitigated', { group, action, tenant });
  }

  /** Wakes the calls of `group` whose class it no longer pauses. */
  private wakeUnpaused(group: string): void {
    const calls = this.paused.get(group);
    if (!calls) return;
    for (const call of [...calls]) if (!this.pauses(group, call.className)) call.wake();
  }

  private engage(group: string, config: MitigationConfig, now: number): void {
    this.engaged.set(group, { since: now, config });
    for (const action of actionsOf(config)) this.emit('mitigation', { group, action, engaged: true });
  }

  private release(group: string, e: Engaged): void {
    this.engaged.delete(group);
    for (const action of actionsOf(e.config)) this.emit('mitigation', { group, action, engaged: false });
    this.wakeUnpaused(group);
  }
}
