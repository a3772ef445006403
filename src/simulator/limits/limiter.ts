/**
 * Finds the limits that apply to a call and keeps their state.
 *
 * Resolution for (flavour, key, model), first match wins:
 * 1. `keys.<key>.models.<model>`: buckets of that pair alone;
 * 2. `keys.<key>.models.<pattern>` (with `*`): one pool shared by every model it matches;
 * 3. `defaults`: buckets of that pair alone;
 * 4. nothing: the call is not limited (and gets no rate-limit headers).
 * Each flavour has its own state, as the providers are separate services.
 */
import type { Clock } from '../../core/clock.js';
import { type BackgroundSpec, backgroundList, type LimitSet, type SimulatorConfig } from '../config.js';
import type { Flavour } from '../flavour.js';
import { LIMIT_DIMENSIONS, type LimitDimension } from './bucket.js';
import { Scope } from './scope.js';

/** New limits of some dimensions. */
export type LimitChanges = Partial<Record<LimitDimension, number>>;

interface Resolved {
  readonly id: string;
  readonly limits: LimitSet;
}

export class Limiter {
  private readonly scopes = new Map<string, Scope | null>();
  private readonly patterns = new Map<string, readonly [string, RegExp][]>();
  /** Limits changed at run time, by `key\u0000model`. */
  private readonly changes = new Map<string, LimitChanges>();

  constructor(
    private readonly config: SimulatorConfig,
    private readonly clock: Clock,
  ) {
    this.startBackground();
  }

  /** The scope of a call, or undefined when nothing limits it. */
  scopeFor(flavour: Flavour, key: string, model: string): Scope | undefined {
    const cacheKey = `${flavour}\u0000${key}\u0000${model}`;
    const cached = this.scopes.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    const resolved = this.resolve(flavour, key, model);
    let scope: Scope | null = null;
    if (resolved) {
      // Pools are shared by several models: look the scope up by its own id.
      scope = this.byId(resolved.id) ?? this.create(flavour, key, resolved);
      const changed = this.changes.get(`${key}\u0000${model}`);
      if (changed) scope.setLimits(changed, this.clock.now());
    }
    this.scopes.set(cacheKey, scope);
    return scope ?? undefined;
  }

  /**
   * A key's limits for `model` change now, as after a tier upgrade: the
   * scopes it already has (in every flavour) keep what they used under the
   * new limits, scopes created later start with them. Only dimensions the
   * configuration limits for that pair can change.
   */
  setLimits(key: string, model: string, limits: LimitChanges): void {
    const pair = `${key}\u0000${model}`;
    this.changes.set(pair, { ...this.changes.get(pair), ...limits });
    const now = this.clock.now();
    for (const [cacheKey, scope] of this.scopes) {
      if (scope && cacheKey.endsWith(`\u0000${pair}`)) scope.setLimits(limits, now);
    }
  }

  /** Every scope created so far (for `/_sim/stats`). */
  allScopes(): Scope[] {
    const seen = new Set<Scope>();
    for (const scope of this.scopes.values()) if (scope) seen.add(scope);
    return [...seen];
  }

  /** Forgets all bucket state: every bucket is full again, the other clients start over. */
  reset(): void {
    this.scopes.clear();
    this.startBackground();
  }

  private byId(id: string): Scope | undefined {
    return this.scopes.get(`id\u0000${id}`) ?? undefined;
  }

  private create(flavour: Flavour, key: string, resolved: Resolved): Scope {
    const background = backgroundList(this.config).filter(
      (b) =>
        b.key === key &&
        (b.flavour === undefined || b.flavour === flavour) &&
        this.resolve(flavour, b.key, b.model)?.id === resolved.id,
    );
    const scope = new Scope(resolved.limits, {
      id: resolved.id,
      tokensIncludeOutput: flavour !== 'gemini',
      chargeRejected: flavour === 'openai' && this.config.openai.charge_rejected,
      // Gemini: minutes reset at second 00, days at midnight Pacific time (PROVIDERS.md §4.1).
      dayMode: resolved.limits.day ?? (flavour === 'gemini' ? 'calendar' : 'rolling'),
      minuteMode: resolved.limits.window ?? (flavour === 'gemini' ? 'fixed' : 'bucket'),
      sliceMs: resolved.limits.slice_ms ?? 10_000,
      timeZone: resolved.limits.time_zone ?? (flavour === 'gemini' ? 'America/Los_Angeles' : 'UTC'),
      longContext: resolved.limits.long_context,
      background,
      now: this.clock.now(),
    });
    this.scopes.set(`id\u0000${resolved.id}`, scope);
    return scope;
  }

  private resolve(flavour: Flavour, key: string, model: string): Resolved | undefined {
    const models = this.config.keys[key]?.models;
    if (models) {
      const exact = models[model];
      if (exact && !model.includes('*')) return usable(`${flavour}|${key}|${model}`, exact);
      for (const [pattern, regex] of this.patternsOf(key, models)) {
        const limits = models[pattern];
        if (limits && regex.test(model)) return usable(`${flavour}|${key}|${pattern}`, limits);
      }
    }
    const defaults = this.config.defaults;
    return defaults ? usable(`${flavour}|${key}|${model}`, defaults) : undefined;
  }

  private patternsOf(key: string, models: Record<string, LimitSet>): readonly [string, RegExp][] {
    let list = this.patterns.get(key);
    if (!list) {
      list = Object.keys(models)
        .filter((name) => name.includes('*'))
        .map((name) => [name, globToRegExp(name)] as [string, RegExp]);
      this.patterns.set(key, list);
    }
    return list;
  }

  /** Scopes drained by other clients exist from the start, so their drain begins with the simulator. */
  private startBackground(): void {
    for (const spec of backgroundList(this.config)) {
      for (const flavour of flavoursOf(spec)) this.scopeFor(flavour, spec.key, spec.model);
    }
  }
}

function flavoursOf(spec: BackgroundSpec): readonly Flavour[] {
  return spec.flavour ? [spec.flavour] : ['openai', 'anthropic', 'gemini'];
}

function usable(id: string, limits: LimitSet): Resolved | undefined {
  const any = LIMIT_DIMENSIONS.some((d) => limits[d] !== undefined) || limits.concurrency !== undefined;
  return any ? { id, limits } : undefined;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
