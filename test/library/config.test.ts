/**
 * `createGovernor(config)` checks its configuration the way the gateway
 * checks its YAML (issue 13, "What a new user hit"): a typo or a key in the
 * wrong case fails loudly, naming the key path, instead of meaning "no
 * limit"; a tenant or a model the configuration does not declare is refused
 * unless the configuration says what to do with it.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ConfigError, createGovernor, type LibraryConfigInput } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Hello' }], max_tokens: 10 };

function groups(sim: Simulator): LibraryConfigInput['model_groups'] {
  return {
    'gpt-4o-mini': {
      deployments: [{ id: 'sim', provider: 'openai', base_url: `${sim.url}/v1`, model: 'gpt-4o-mini' }],
    },
  };
}

function client(sim: Simulator, fetch: typeof globalThis.fetch, tenant?: string): OpenAI {
  return new OpenAI({
    apiKey: 'sk-app',
    baseURL: `${sim.url}/v1`,
    fetch,
    maxRetries: 0,
    ...(tenant !== undefined && { defaultHeaders: { 'x-sluice-tenant': tenant } }),
  });
}

/** The error `call` throws (it must throw). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The status and Sluice refusal code of the SDK error `call` rejects with. */
async function refusalOf(
  call: Promise<unknown>,
): Promise<{ status: number; code: string | null; message: string }> {
  const error = await call.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  if (!(error instanceof OpenAI.APIError)) throw error;
  return {
    status: error.status as number,
    code: error.headers?.get('x-sluice-refusal') ?? null,
    message: error.message,
  };
}

describe('createGovernor refuses a configuration it cannot honour, naming the key', () => {
  it('a misspelt limit (`rmp`) is an unknown key, not "no limit"', async () => {
    const sim = await simulator();
    const error = thrown(() =>
      createGovernor({
        model_groups: groups(sim),
        tiers: { free: { rmp: 1 } } as unknown as LibraryConfigInput['tiers'],
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('invalid_config');
    expect((error as Error).message).toMatch(/tiers\.free\.rmp: unknown key/);
  });

  it('`baseUrl` for `base_url` names both keys, not a TypeError from deep inside', async () => {
    const error = thrown(() =>
      createGovernor({
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              { id: 'sim', provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'gpt-4o-mini' },
            ],
          },
        } as unknown as LibraryConfigInput['model_groups'],
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/model_groups\.gpt-4o-mini\.deployments\[0\]\.baseUrl: unknown key/);
    expect(message).toMatch(
      /model_groups\.gpt-4o-mini\.deployments\[0\]\.base_url: expected string, but it is missing/,
    );
  });

  it('`unknown_tenants` must name a declared tier', async () => {
    const sim = await simulator();
    const error = thrown(() =>
      createGovernor({
        model_groups: groups(sim),
        tiers: { free: { rpm: 1 } },
        unknown_tenants: { tier: 'gold' },
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /unknown_tenants\.tier: unknown tier gold; expected one of free/,
    );
  });

  it('a tier written the YAML way (`{ rpm: 1 }`) limits its tenants', async () => {
    const sim = await simulator();
    const g = governor({
      model_groups: groups(sim),
      tiers: { free: { rpm: 1, max_wait_ms: 0 } },
      tenants: [{ id: 'acme', tier: 'free' }],
    });
    const acme = client(sim, g.fetch, 'acme');
    await acme.chat.completions.create(ask);
    expect(await refusalOf(acme.chat.completions.create(ask))).toMatchObject({
      status: 429,
      code: 'tenant_rate_limited',
    });
  });
});

describe('tenants the configuration does not declare', () => {
  it('are refused with 403 unknown_tenant by default; calls that name none are the tenant `default`', async () => {
    const sim = await simulator();
    const g = governor({ model_groups: groups(sim), tenants: [{ id: 'acme' }] });
    const refused = await refusalOf(client(sim, g.fetch, 'acme-typo').chat.completions.create(ask));
    expect(refused).toMatchObject({ status: 403, code: 'unknown_tenant' });
    expect(refused.message).toContain('acme-typo');
    expect(sim.stats().requests).toBe(0);
    await client(sim, g.fetch).chat.completions.create(ask);
    await client(sim, g.fetch, 'acme').chat.completions.create(ask);
    expect(sim.stats().requests).toBe(2);
  });

  it('get the tier `unknown_tenants: { tier }` names, limits and all', async () => {
    const sim = await simulator();
    const g = governor({
      model_groups: groups(sim),
      tiers: { guest: { rpm: 1, max_wait_ms: 0 } },
      unknown_tenants: { tier: 'guest' },
    });
    const stranger = client(sim, g.fetch, 'stranger');
    await stranger.chat.completions.create(ask);
    expect(await refusalOf(stranger.chat.completions.create(ask))).toMatchObject({
      status: 429,
      code: 'tenant_rate_limited',
    });
    // Each unknown tenant has a budget of its own.
    await client(sim, g.fetch, 'another-stranger').chat.completions.create(ask);
  });
});

describe('models the configuration does not declare', () => {
  it('are refused with a 404 naming the model by default, never sent ungoverned', async () => {
    const sim = await simulator();
    const g = governor({ model_groups: groups(sim) });
    const refused = await refusalOf(
      client(sim, g.fetch).chat.completions.create({ ...ask, model: 'gpt-4o-mnii' }),
    );
    expect(refused).toMatchObject({ status: 404, code: 'unknown_model' });
    expect(refused.message).toContain('gpt-4o-mnii');
    expect(sim.stats().requests).toBe(0);
  });

  it('go upstream as sent, ungoverned, with `undeclared_models: pass`', async () => {
    const sim = await simulator();
    const g = governor({ model_groups: groups(sim), undeclared_models: 'pass' });
    const { response } = await client(sim, g.fetch)
      .chat.completions.create({ ...ask, model: 'gpt-4o' })
      .withResponse();
    expect(response.status).toBe(200);
    // The simulator's own answer: Sluice added nothing and reserved nothing.
    expect(response.headers.get('x-sluice-request-id')).toBeNull();
    expect((await g.governor.store.stats()).reservations).toBe(0);
    expect(sim.stats().requests).toBe(1);
  });
});
