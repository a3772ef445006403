/**
 * Window rules in the gateway's YAML (the library shares the schema): what
 * is accepted, what a deployment of each provider gets by default, and the
 * errors for rules the runtime cannot honour, named by key path.
 */
import { describe, expect, it } from 'vitest';
import { toTopology } from '../../src/config/to-topology.js';
import { GatewayConfigError, parseConfig } from '../../src/gateway/config/load.js';
import { bucketsFor } from '../../src/runtime/limits.js';
import { withProviderWindows } from '../../src/runtime/window-rules.js';

function config(provider: string, limits: Record<string, unknown>) {
  return {
    model_groups: {
      m: { deployments: [{ id: 'd1', provider, base_url: 'https://example.com', model: 'm', limits }] },
    },
    tenants: [{ id: 'acme', key: 'sk-acme-12345' }],
  };
}

function problems(data: unknown): string {
  try {
    parseConfig(data, 'sluice.yaml', {});
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

/** The buckets a deployment declared with `provider` and YAML `limits` gets. */
function bucketsOf(provider: string, limits: Record<string, unknown>) {
  const topology = toTopology(parseConfig(config(provider, limits), 'sluice.yaml', {}));
  const deployment = topology.modelGroups.m?.deployments[0];
  const specs = bucketsFor(
    { kind: 'deployment', owner: 'd1' },
    withProviderWindows(provider, deployment?.limits),
    0.1,
  );
  return Object.fromEntries(specs.map((s) => [`${s.dimension}:${s.per}`, s]));
}

describe('window rules in configuration', () => {
  it('gives Gemini fixed minutes and days at midnight Pacific, Azure 10 s request slices and a fixed token minute', () => {
    const gemini = bucketsOf('gemini', { rpm: 20, tpm: 1_000, rpd: 500 });
    expect(gemini['requests:minute']?.fixed).toMatchObject({ periodMs: 60_000, burst: 0.5 });
    expect(gemini['requests:day']?.fixed).toMatchObject({ timeZone: 'America/Los_Angeles', burst: 1 });
    const azure = bucketsOf('azure', { rpm: 60, tpm: 10_000 });
    expect(azure['requests:minute']?.fixed).toMatchObject({ periodMs: 10_000, periodLimit: 10 });
    expect(azure['tokens:minute']?.fixed).toMatchObject({ periodMs: 60_000, periodLimit: 10_000 });
    // 3 RPM is less than a request per slice: Azure's default counts the minute instead.
    expect(bucketsOf('azure', { rpm: 3 })['requests:minute']?.fixed?.periodMs).toBe(60_000);
    const openai = bucketsOf('openai', { rpm: 60, rpd: 1_000 });
    expect(openai['requests:minute']?.kind).toBe('gcra');
    expect(openai['requests:day']?.kind).toBe('gcra');
  });

  it('lets a deployment override its provider, for the whole set or per limit', () => {
    expect(bucketsOf('gemini', { rpm: 20, window: 'continuous' })['requests:minute']?.kind).toBe('gcra');
    const mixed = bucketsOf('gemini', { rpm: 20, rpd: 100, window: { rpm: 'continuous' }, time_zone: 'UTC' });
    expect(mixed['requests:minute']?.kind).toBe('gcra');
    expect(mixed['requests:day']?.fixed?.timeZone).toBeUndefined();
    const sliced = bucketsOf('openai', { rpm: 600, window: 'sliced', slice: '1s' });
    expect(sliced['requests:minute']?.fixed).toMatchObject({ periodMs: 1_000, periodLimit: 10 });
    expect(
      bucketsOf('openai', { rpd: 10, day: 'calendar' })['requests:day']?.fixed?.timeZone,
    ).toBeUndefined();
  });

  it('refuses rules it cannot honour, naming the key', () => {
    expect(problems(config('openai', { rpm: 60, window: 'hourly' }))).toMatch(/limits\.window/);
    expect(problems(config('openai', { rpd: 60, window: { rpd: 'sliced' } }))).toMatch(
      /limits\.window: .*only a per-minute limit can be sliced/,
    );
    expect(problems(config('openai', { rpm: 3, window: 'sliced' }))).toMatch(
      /limits\.window: .*less than one per 10 s slice/,
    );
    expect(problems(config('openai', { rpm: 60, slice: '1s' }))).toMatch(
      /limits\.slice: a slice only applies/,
    );
    expect(problems(config('gemini', { rpd: 60, time_zone: 'Pacific/Nowhere' }))).toMatch(
      /limits\.time_zone: expected an IANA time zone/,
    );
    expect(problems(config('openai', { rpm: 60, window: { rpx: 'fixed' } }))).toMatch(/limits\.window/);
    expect(
      problems({ ...config('openai', {}), tiers: { free: { rpm: 5, rpd: 100, window: { rpd: 'sliced' } } } }),
    ).toMatch(/tiers\.free\.window/);
  });
});
