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
import { defineBucket, InvalidLimitError, type LimitDefinition, type WindowRule } from '../core/limit.js';
import { LIMIT_NAMES, type LimitName, type LimitsConfig } from './limits.js';

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

/** Fewer requests per minute than one per 10 s slice cannot be sliced: Azure's default then counts the minute. */
function fitProviderWindows(
  defaults: Pick<LimitsConfig, 'window' | 'timeZone'>,
  limits: LimitsConfig,
): Pick<LimitsConfig, 'window' | 'timeZone'> {
  const { window } = defaults;
  if (typeof window !== 'object' || window.rpm !== 'sliced' || (limits.rpm ?? 6) >= 6) return defaults;
  return { ...defaults, window: { ...window, rpm: 'fixed' } };
}

/**
 * What is wrong with the window rules of a limit set, by key (`window`,
 * `slice`, `time_zone`), for the configuration schema: every limit is
 * defined as the runtime will define it, and each refusal is reported.
 */
export function windowProblems(limits: LimitsConfig): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  let sliced = false;
  for (const name of Object.keys(LIMIT_NAMES) as LimitName[]) {
    const limit = limits[name];
    const { dimension, per } = LIMIT_NAMES[name];
    if (limit === undefined || per === undefined) continue;
    const window = windowFor(name, per, limits);
    if (window.window === 'sliced') sliced = true;
    try {
      defineBucket(name, { dimension, limit, per, ...window, margin: 0 });
    } catch (error) {
      if (!(error instanceof InvalidLimitError)) throw error;
      problems.push({ key: 'window', message: error.message });
    }
  }
  if (limits.sliceMs !== undefined && !sliced) {
    problems.push({ key: 'slice', message: 'a slice only applies to a sliced per-minute limit of this set' });
  }
  return problems;
}

/** `limits` with the provider's window rules under what it declares itself. */
export function withProviderWindows(
  provider: string,
  limits: LimitsConfig | undefined,
): LimitsConfig | undefined {
  const known = providerWindows(provider);
  if (!known || !limits) return limits;
  const defaults = fitProviderWindows(known, limits);
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
 * deciding day limits when it is set, and `month:` alone decides months. A time zone or slice is passed only to
 * the limits whose rule uses it.
 */
export function windowFor(
  name: LimitName,
  per: LimitDefinition['per'],
  limits: LimitsConfig,
): Pick<LimitDefinition, 'window' | 'dayMode' | 'sliceMs' | 'timeZone'> {
  if (per === 'month') {
    if (limits.month === 'rolling') return { dayMode: 'rolling' };
    return { window: 'fixed', ...(limits.timeZone !== undefined && { timeZone: limits.timeZone }) };
  }
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
