/**
 * Which window rule each declared limit follows, and the providers' own
 * rules when a deployment declares none (PROVIDERS.md §2.2, §4.1, §7.1):
 *
 * - Gemini: minutes are counters reset "every minute at second 00", and
 *   per-day quotas reset at midnight Pacific time.
 * - Azure: the token limit is "a running token count … reset each minute";
 *   requests are evaluated "over a small period of time, typically 1 or 10
 *   seconds", so an RPM limit is enforced per 10 s slice.
 * - OpenAI, Anthropic and the rest refill continuously (the default).
 *
 * A declaration names a rule for the whole set (`window: fixed`) or per limit
 * (`window: { rpm: sliced, tpm: fixed }`); what it names wins over the
 * provider's rule for that limit, the rest keep the provider's.
 */
import type { LimitDefinition, WindowRule } from '../core/limit.js';
import type { LimitName, LimitsConfig } from './limits.js';

export type WindowDeclaration = WindowRule | Partial<Record<LimitName, WindowRule>>;

/** The window rules a provider's limits follow unless a deployment declares otherwise. */
export function providerWindows(provider: string): Pick<LimitsConfig, 'window' | 'timeZone'> | undefined {
  switch (provider) {
    case 'gemini':
      return { window: 'fixed', timeZone: 'America/Los_Angeles' };
    case 'azure':
      return { window: { rpm: 'sliced', tpm: 'fixed', itpm: 'fixed', otpm: 'fixed' } };
    default:
      return undefined;
  }
}

/** `limits` with the provider's window rules under what it declares itself. */
export function withProviderWindows(
  provider: string,
  limits: LimitsConfig | undefined,
): LimitsConfig | undefined {
  const defaults = providerWindows(provider);
  if (!defaults || !limits) return limits;
  const window = mergeWindows(defaults.window, limits.window);
  return {
    ...limits,
    ...(window !== undefined && { window }),
    ...(limits.timeZone === undefined && defaults.timeZone !== undefined && { timeZone: defaults.timeZone }),
  };
}

function mergeWindows(
  base: WindowDeclaration | undefined,
  own: WindowDeclaration | undefined,
): WindowDeclaration | undefined {
  if (own === undefined) return base;
  if (typeof own === 'string' || base === undefined) return own;
  if (typeof base === 'string') return own; // own names some limits; a blanket default is no per-limit map
  return { ...base, ...own };
}

/**
 * The window part of one limit's definition. A blanket `sliced` applies to
 * per-minute limits only (the only ones a slice divides); `day:` keeps
 * deciding day limits when it is set. A time zone or slice is passed only to
 * the limits whose rule uses it.
 */
export function windowFor(
  name: LimitName,
  per: LimitDefinition['per'],
  limits: LimitsConfig,
): Pick<LimitDefinition, 'window' | 'dayMode' | 'sliceMs' | 'timeZone'> {
  const declared = limits.window;
  let rule: WindowRule | undefined = typeof declared === 'object' ? declared[name] : declared;
  if (rule === 'sliced' && typeof declared === 'string' && per !== 'minute') rule = undefined;
  if (
    per === 'day' &&
    limits.day !== undefined &&
    (typeof declared !== 'object' || declared[name] === undefined)
  ) {
    rule = limits.day === 'calendar' ? 'fixed' : 'continuous';
  }
  if (rule === undefined || rule === 'continuous') return {};
  if (rule === 'sliced')
    return { window: 'sliced', ...(limits.sliceMs !== undefined && { sliceMs: limits.sliceMs }) };
  return { window: 'fixed', ...(limits.timeZone !== undefined && { timeZone: limits.timeZone }) };
}
