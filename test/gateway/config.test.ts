// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are ${ENV_VAR} references in config, on purpose
/**
 * The configuration: validation messages that name the file, the key path
 * and what was expected; `${ENV_VAR}` interpolation; the mapping to the
 * runtime's topology; and `sluice serve` reporting a bad file clearly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toGovernorOptions, toTopology } from '../../src/config/to-topology.js';
import { sha256Hex } from '../../src/gateway/auth.js';
import { GatewayConfigError, parseConfig, parseConfigText } from '../../src/gateway/config/load.js';

const minimal = {
  model_groups: {
    'gpt-4o-mini': {
      deployments: [
        { id: 'openai-1', provider: 'openai', base_url: 'https://api.openai.com/v1', model: 'gpt-4o-mini' },
      ],
    },
  },
  tenants: [{ id: 'acme', key: 'sk-acme-12345' }],
};

function problems(data: unknown, env: Record<string, string> = {}): string {
  try {
    parseConfig(data, 'sluice.yaml', env);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayConfigError);
    expect((error as GatewayConfigError).code).toBe('invalid_config');
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('validation', () => {
  it('accepts the issue’s example and fills defaults', () => {
    const text = readFileSync(join(__dirname, '../../examples/sluice.yaml'), 'utf8');
    const config = parseConfigText(text, 'examples/sluice.yaml', {
      OPENAI_API_KEY: 'sk-openai',
      OPENAI_API_KEY_2: 'sk-openai-2',
      ANTHROPIC_API_KEY: 'sk-ant',
      GEMINI_API_KEY: 'AIza-gemini',
      ACME_KEY: 'sk-acme-key-1',
      GLOBEX_KEY: 'sk-globex-key-1',
      SLUICE_ADMIN_KEY: 'admin-key-0123456789',
    });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8787 });
    expect(config.admin).toBeDefined();
    // `key: ${ACME_KEY}` inside a flow mapping is not plain YAML; the loader accepts it anyway.
    expect(config.tenants[0]).toEqual({ id: 'acme', key: 'sk-acme-key-1', tier: 'pro' });
    expect(config.model_groups['gpt-4o-mini']?.deployments[0]?.api_key).toBe('sk-openai');
    expect(config.model_groups['gemini-2.5-flash']?.deployments[0]).toMatchObject({
      provider: 'gemini',
      api_key: 'AIza-gemini',
    });
    expect(config.model_groups['text-embedding-3-small']?.deployments[0]?.model).toBe(
      'text-embedding-3-small',
    );
    expect(config.tiers.free).toMatchObject({ rpm: 5, tpm: 5000, priority: 'low', max_wait_ms: 2000 });
    expect(config.server.max_body_bytes).toBe(10 * 1024 * 1024);
    expect(config.alerts).toMatchObject({ warn: 0.8, act: 0.9 });
  });

  it('names the file, the key path and what was expected', () => {
    const message = problems({
      ...minimal,
      listen: { host: 'localhost', prot: 8080 },
      safety_margin: 'ten percent',
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            {
              id: 'openai-1',
              provider: 'opneai',
              base_url: 'not a url',
              model: 'gpt-4o-mini',
              limits: { tmp: 1, rpm: -5 },
            },
          ],
        },
      },
      store: { kind: 'postgres' },
    });
    expect(message).toMatch(/^sluice\.yaml is invalid:/);
    expect(message).toContain('listen.prot: unknown key');
    expect(message).toContain('safety_margin: expected number, got a string');
    expect(message).toContain(
      'model_groups.gpt-4o-mini.deployments[0].provider: expected one of "openai", "azure", "anthropic", "gemini", "openai-compatible"',
    );
    expect(message).toContain('model_groups.gpt-4o-mini.deployments[0].base_url: expected an http(s) URL');
    expect(message).toContain('model_groups.gpt-4o-mini.deployments[0].limits.tmp: unknown key');
    expect(message).toContain('model_groups.gpt-4o-mini.deployments[0].limits.rpm: expected number to be >0');
    expect(message).toContain('store.kind: expected one of "memory", "redis"');
  });

  it('checks that names used are declared', () => {
    const message = problems({
      ...minimal,
      pools: { 'openai-org': { rpm: 10 } },
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            { id: 'd1', provider: 'openai', base_url: 'https://x/v1', model: 'm', pools: ['openai-orgg'] },
            { id: 'd1', provider: 'anthropic', base_url: 'https://y', model: 'm' },
          ],
          fallbacks: ['claude'],
        },
      },
      tiers: { pro: { rpm: 5, priority: 'urgent' } },
      tenants: [
        { id: 'acme', key: 'sk-acme-12345', tier: 'gold' },
        { id: 'acme', key_sha256: sha256Hex('sk-acme-12345') },
      ],
    });
    expect(message).toContain(
      'model_groups.gpt-4o-mini.deployments[0].pools[0]: unknown pool openai-orgg; expected one of openai-org',
    );
    expect(message).toContain('model_groups.gpt-4o-mini.deployments[1].id: deployment id d1 is already used');
    expect(message).toContain('model_groups.gpt-4o-mini.fallbacks[0]: unknown model group claude');
    expect(message).toContain(
      'model_groups.gpt-4o-mini.deployments[1].api_key: this group mixes API families: OpenAI calls reach this anthropic deployment translated, sent with its own key; set api_key',
    );
    expect(message).toContain(
      'tiers.pro.priority: unknown priority urgent; expected one of critical, high, normal, low',
    );
    expect(message).toContain('tenants[0].tier: unknown tier gold; expected one of pro');
    expect(message).toContain('tenants[1].id: tenant id acme is used twice');
    expect(message).toContain('tenants[1].key_sha256: this key is already given to another tenant');
  });

  it('has a background class below the configured ones; listed, it must be last', () => {
    expect(problems({ ...minimal, priorities: ['high', 'background', 'low'] })).toContain(
      'priorities[1]: background is the class below every other: list it last or not at all',
    );
    expect(() =>
      parseConfig({ ...minimal, priorities: ['high', 'low', 'background'] }, 'sluice.yaml', {}),
    ).not.toThrow();
    // Tiers may name it (their traffic then only uses spare capacity); unknown names still fail.
    const tiered = { ...minimal, priorities: ['high', 'low'], tiers: { batch: { priority: 'background' } } };
    expect(() => parseConfig(tiered, 'sluice.yaml', {})).not.toThrow();
    expect(problems({ ...minimal, tiers: { pro: { priority: 'urgent' } } })).toContain(
      'expected one of critical, high, normal, low, background',
    );
  });

  it('accepts groups and fallbacks across API families when the deployments have keys, and names the key when not', () => {
    const claude = { id: 'c', provider: 'anthropic', base_url: 'https://y', model: 'claude-x' } as const;
    const gpt = {
      id: 'g',
      provider: 'openai',
      base_url: 'https://x/v1',
      model: 'gpt-x',
      api_key: 'sk-g',
    } as const;
    const ok = {
      ...minimal,
      model_groups: {
        mixed: { deployments: [gpt, { ...claude, api_key: 'sk-ant' }] },
        gpt: { deployments: [{ ...gpt, id: 'g2' }], fallbacks: ['claude'] },
        claude: { deployments: [{ ...claude, id: 'c2', api_key: 'sk-ant' }] },
      },
    };
    expect(() => parseConfig(ok, 'test', {})).not.toThrow();
    const message = problems({
      ...minimal,
      model_groups: {
        gpt: { deployments: [{ ...gpt, id: 'g2' }], fallbacks: ['claude'] },
        claude: { deployments: [{ ...claude, id: 'c2' }] },
      },
    });
    expect(message).toContain(
      'model_groups.gpt.fallbacks[0]: claude speaks another API and none of its deployments has an api_key to send translated calls with',
    );
  });

  it('needs exactly one of key and key_sha256 per tenant', () => {
    expect(problems({ ...minimal, tenants: [{ id: 'acme' }] })).toContain(
      'tenants[0]: a tenant needs exactly one of key or key_sha256',
    );
    expect(problems({ ...minimal, tenants: [{ id: 'acme', key_sha256: 'abc' }] })).toContain(
      'tenants[0].key_sha256: expected 64 hex digits',
    );
  });

  it('refuses a first circuit opening longer than the longest one', () => {
    expect(problems({ ...minimal, circuit: { open_ms: 10_000, first_open_ms: 20_000 } })).toContain(
      'circuit.first_open_ms: first_open_ms must not be longer than open_ms',
    );
    expect(
      problems({ ...minimal, circuit: { dead_key_probe_ms: 60_000, dead_key_probe_max_ms: 1_000 } }),
    ).toContain('circuit.dead_key_probe_ms: dead_key_probe_ms must not be longer than dead_key_probe_max_ms');
  });
});

describe('server.workers', () => {
  it('defaults to one process, takes a count, and resolves auto to one per core', () => {
    expect(parseConfig(minimal, 'sluice.yaml').server.workers).toBe(1);
    expect(parseConfig({ ...minimal, server: { workers: 3 } }, 'sluice.yaml').server.workers).toBe(3);
    expect(parseConfig({ ...minimal, server: { workers: 'auto' } }, 'sluice.yaml').server.workers).toBe(
      availableParallelism(),
    );
  });

  it('refuses anything else, naming the key and what was expected', () => {
    for (const workers of [0, -1, 1.5, 'many', 257, true]) {
      const message = problems({ ...minimal, server: { workers } });
      expect(message).toContain('sluice.yaml');
      expect(message).toContain('server.workers');
    }
    expect(problems({ ...minimal, server: { workers: 'many' } })).toContain('or "auto"');
    expect(problems({ ...minimal, server: { workers: 0 } })).toMatch(/>=\s*1/);
  });
});

describe('${ENV_VAR} interpolation', () => {
  it('accepts a bare ${VAR} as a whole value in block and flow style, never as YAML', () => {
    const text = [
      'model_groups:',
      '  g:',
      '    deployments:',
      '      - { id: d, provider: openai, base_url: "https://${HOST}/v1", model: m, api_key: ${KEY} }',
      'tenants:',
      '  - { id: acme, key: ${ACME_KEY} }',
      '  - id: globex',
      '    key: ${GLOBEX_KEY}   # comment',
      '  - [not, valid]',
    ].join('\n');
    const message = (() => {
      try {
        parseConfigText(text, 'x.yaml', {
          HOST: 'h',
          KEY: 'k: {evil}',
          ACME_KEY: 'acme-key-1',
          GLOBEX_KEY: 'glob-key-1',
        });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    // Only the deliberately broken entry is reported: the values went in as strings.
    expect(message).toBe('x.yaml is invalid:\n  tenants[2]: expected object, got a list');
  });

  it('substitutes variables, defaults and escapes', () => {
    const config = parseConfig(
      {
        ...minimal,
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'openai-1',
                provider: 'openai',
                base_url: '${BASE:-https://api.openai.com/v1}',
                api_key: '${OPENAI_API_KEY}',
                model: 'gpt-4o-mini',
                headers: { 'x-literal': '$${NOT_A_VAR}' },
              },
            ],
          },
        },
      },
      'sluice.yaml',
      { OPENAI_API_KEY: 'sk-secret-value' },
    );
    const deployment = config.model_groups['gpt-4o-mini']?.deployments[0];
    expect(deployment?.api_key).toBe('sk-secret-value');
    expect(deployment?.base_url).toBe('https://api.openai.com/v1');
    expect(deployment?.headers).toEqual({ 'x-literal': '${NOT_A_VAR}' });
  });

  it('names the key of a missing variable and never prints secret values', () => {
    const message = problems(
      {
        ...minimal,
        tenants: [
          { id: 'acme', key: '${ACME_KEY}' },
          { id: 'b', key: 'short' },
        ],
      },
      { UNRELATED: 'sk-secret-value' },
    );
    expect(message).toContain('tenants[0].key: environment variable ACME_KEY is not set');
    expect(message).not.toContain('sk-secret-value');
    const tooShort = problems({ ...minimal, tenants: [{ id: 'b', key: '${K}' }] }, { K: 'abc' });
    expect(tooShort).toContain('tenants[0].key: a tenant key needs at least 8 characters');
    expect(tooShort).not.toMatch(/\babc\b/);
  });
});

describe('mapping to the governor topology', () => {
  it('turns snake_case YAML into the runtime’s names', () => {
    const config = parseConfig(
      {
        ...minimal,
        safety_margin: 0.2,
        priorities: ['critical', 'normal', 'low'],
        queue: { max_per_class: 100, aging_ms: 5000 },
        pools: { 'openai-org': { rpm: 10_000, tpm: 2_000_000 } },
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'openai-1',
                provider: 'openai',
                base_url: 'https://api.openai.com/v1',
                api_key: 'k',
                model: 'gpt-4o-mini',
                limits: { rpm: 500, tpm: 200_000, rpd: 10_000, concurrency: 100 },
                pools: ['openai-org'],
              },
            ],
            fallbacks: ['backup'],
            downgrade: { to: 'backup', when_headroom_below: 0.1 },
          },
          backup: {
            deployments: [
              { id: 'b', provider: 'openai-compatible', base_url: 'http://local/v1', model: 'm' },
            ],
          },
        },
        tiers: {
          free: { rpm: 5, tpm: 5_000, priority: 'low', max_wait_ms: 2_000, weight: 0.5 },
          counting: { count_tokens_rpm: 100 },
        },
        tenants: [{ id: 'acme', key: 'sk-acme-12345', tier: 'free', model_groups: ['gpt-4o-mini'] }],
        retry: { max_attempts: 2 },
        circuit: {
          consecutive_failures: 3,
          open_ms: 60_000,
          first_open_ms: 2_000,
          dead_key_probe_ms: 30_000,
          dead_key_probe_max_ms: 600_000,
        },
      },
      'x',
      {},
    );
    const topology = toTopology(config);
    expect(topology.modelGroups['gpt-4o-mini']).toEqual({
      deployments: [
        {
          id: 'openai-1',
          provider: 'openai',
          baseUrl: 'https://api.openai.com/v1',
          apiKey: 'k',
          model: 'gpt-4o-mini',
          limits: { rpm: 500, tpm: 200_000, rpd: 10_000, concurrency: 100 },
          pools: ['openai-org'],
          // No `price` declared: the model's list price (providers/list-prices.ts).
          price: { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 },
        },
      ],
      fallbacks: ['backup'],
      downgrade: { to: 'backup', whenHeadroomBelow: 0.1 },
    });
    expect(topology.tiers?.free).toEqual({
      limits: { rpm: 5, tpm: 5_000 },
      priority: 'low',
      maxWaitMs: 2_000,
      weight: 0.5,
    });
    expect(topology.tiers?.counting).toEqual({ countTokensRpm: 100 });
    expect(topology.circuit).toEqual({
      consecutiveFailures: 3,
      openMs: 60_000,
      firstOpenMs: 2_000,
      deadKeyProbeMs: 30_000,
      deadKeyProbeMaxMs: 600_000,
    });
    expect(topology.tenants).toEqual([{ id: 'acme', tier: 'free', modelGroups: ['gpt-4o-mini'] }]);
    expect(topology.pools).toEqual({ 'openai-org': { rpm: 10_000, tpm: 2_000_000 } });
    expect(topology.safetyMargin).toBe(0.2);
    expect(topology.retry).toEqual({ maxAttempts: 2 });
    expect(toGovernorOptions(config)).toEqual({
      priorities: ['critical', 'normal', 'low'],
      maxQueuedPerClass: 100,
      agingMs: 5000,
      // The cluster-wide order is on unless turned off (it acts only on a shared store).
      cluster: {},
      // Alert thresholds by default: 80/90 %, per-day budgets 70/90 %, queue waits 5/15 s.
      load: {
        thresholds: { warn: 0.8, act: 0.9, perDay: { warn: 0.7, act: 0.9 } },
        queue: { warnMs: 5_000, actMs: 15_000 },
      },
    });
  });

  it('maps a group’s mitigation and checks the names it uses', () => {
    const groups = {
      main: {
        deployments: [{ id: 'a', provider: 'openai', base_url: 'http://x/v1', model: 'm' }],
        downgrade: { to: 'mini', when_headroom_below: 0.2 },
        mitigation: {
          downgrade: { tiers: ['free'] },
          clamp_max_tokens: { classes: ['low'], to: 256 },
          pause: { classes: ['low', 'background'] },
          tighten: { tiers: ['free'], factor: 0.5 },
        },
      },
      mini: { deployments: [{ id: 'b', provider: 'openai', base_url: 'http://x/v1', model: 'n' }] },
    };
    const config = parseConfig({ ...minimal, model_groups: groups, tiers: { free: {} } }, 'sluice.yaml');
    expect(toTopology(config).modelGroups.main?.mitigation).toEqual({
      downgradeTiers: ['free'],
      clampMaxTokens: { classes: ['low'], to: 256 },
      pauseClasses: ['low', 'background'],
      tighten: { tiers: ['free'], factor: 0.5 },
      holdMs: 10_000,
    });
    const bad = {
      ...groups,
      main: {
        ...groups.main,
        downgrade: undefined,
        mitigation: { downgrade: { tiers: ['gold'] }, pause: { classes: ['urgent'] } },
      },
    };
    expect(() => parseConfig({ ...minimal, model_groups: bad, tiers: { free: {} } }, 'sluice.yaml')).toThrow(
      /mitigation\.downgrade\.tiers\[0\]: unknown tier gold[\s\S]*mitigation\.downgrade: needs the group's `downgrade\.to`[\s\S]*mitigation\.pause\.classes\[0\]: unknown priority urgent/,
    );
    expect(() =>
      parseConfig({ ...minimal, model_groups: { ...groups, main: { ...groups.main, mitigation: {} } } }, 'x'),
    ).toThrow(/name at least one action/);
  });

  it('maps queue.cluster: its lease, or off', () => {
    const withCluster = (cluster: Record<string, unknown>) =>
      toGovernorOptions(parseConfig({ ...minimal, queue: { cluster } }, 'sluice.yaml'));
    expect(withCluster({ demand_lease_ms: 1_500 }).cluster).toEqual({ demandLeaseMs: 1_500 });
    expect(withCluster({}).cluster).toEqual({ demandLeaseMs: 3_000 });
    expect(withCluster({ enabled: false }).cluster).toBeUndefined();
    expect(() => withCluster({ demand_lease_ms: 10 })).toThrow(/demand_lease_ms/);
  });
});

describe('sluice serve', () => {
  it('reports a bad config file clearly and exits with status 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-serve-'));
    const path = join(dir, 'sluice.yaml');
    writeFileSync(path, 'listen: { port: "eighty" }\nmodel_groups: {}\ntenants: []\n');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', path],
      {
        cwd: join(__dirname, '../..'),
        encoding: 'utf8',
        timeout: 15_000,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${path} is invalid:`);
    expect(run.stderr).toContain('listen.port: expected number, got a string');
    expect(run.stderr).toContain('model_groups: declare at least one model group');
    expect(run.stderr).toContain('tenants: declare at least one tenant');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
