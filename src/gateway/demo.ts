/**
 * `npm start` (`sluice serve --demo`): the gateway on a built-in config that
 * works offline on a fresh machine. Upstream is the embedded simulator (with
 * real-looking latency and limits) unless a provider key is in the
 * environment, in which case that provider is used for its model group.
 * Four groups, one per API a client may speak and one for embeddings:
 * `gpt-4o-mini` (OpenAI), `claude-haiku` (Anthropic), `gemini-2.5-flash`
 * (Gemini's native API) and `text-embedding-3-small` (OpenAI embeddings).
 * Prints where to look and what to paste.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { type Simulator, startSimulator } from '../simulator/index.js';
import { parseConfig } from './config/load.js';
import { DEFAULT_METRICS_PORT, type GatewayConfigInput } from './config/schema.js';
import type { GatewayLogger } from './logging.js';
import { type Gateway, startGateway } from './server.js';

export const DEMO_TENANTS = [
  {
    id: 'demo-free',
    key: 'sk-demo-free',
    tier: 'free',
    about: '5 rpm, 5,000 tpm, priority low, waits ≤ 2 s',
  },
  {
    id: 'demo-pro',
    key: 'sk-demo-pro',
    tier: 'pro',
    about: '50 rpm, 50,000 tpm, priority normal, waits ≤ 30 s',
  },
  {
    id: 'demo-enterprise',
    key: 'sk-demo-enterprise',
    tier: 'enterprise',
    about: 'no own limit, priority critical, waits ≤ 60 s',
  },
] as const;

/** Opens the dashboard's data in the demo (a real config takes `admin.key: ${SLUICE_ADMIN_KEY}`). */
export const DEMO_ADMIN_KEY = 'sluice-demo-admin-key';

const SIM_OPENAI_KEY = 'sk-sim-openai';
const SIM_ANTHROPIC_KEY = 'sk-sim-anthropic';
const SIM_GEMINI_KEY = 'AIza-sim-gemini';
const SIM_OPENAI_MODEL = 'gpt-4o-mini';
const SIM_ANTHROPIC_MODEL = 'claude-3-5-haiku-latest';
const GEMINI_MODEL = 'gemini-2.5-flash';
const EMBEDDING_MODEL = 'text-embedding-3-small';
// The simulator's limits and the deployments' are the same: the demo's upstream is as the config says.
const SIM_GEMINI_LIMITS = { rpm: 60, tpm: 100_000 };
const SIM_EMBEDDING_LIMITS = { rpm: 300, tpm: 200_000 };

export interface DemoOptions {
  host?: string;
  /** Default 8787; when taken, any free port. */
  port?: number;
  env?: Readonly<Record<string, string | undefined>>;
  logger?: GatewayLogger;
  /** Where batches and history are kept (default `sluice-data` in the working directory). */
  dataDir?: string;
}

export interface Demo {
  readonly gateway: Gateway;
  readonly simulator: Simulator | undefined;
  /** What `npm start` prints. */
  readonly instructions: string[];
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const openaiKey = env.OPENAI_API_KEY || undefined;
  const anthropicKey = env.ANTHROPIC_API_KEY || undefined;
  const geminiKey = env.GEMINI_API_KEY || undefined;
  const simulator =
    openaiKey && anthropicKey && geminiKey
      ? undefined
      : await startSimulator({
          host: '127.0.0.1',
          port: 0,
          response: { mode: 'lorem', tokens: 40 },
          // Enough latency to watch a stream arrive, and limits a few terminals can hit.
          latency: { ttft_ms: 120, per_token_ms: 12, jitter: 0.2 },
          keys: {
            [SIM_OPENAI_KEY]: {
              models: {
                [SIM_OPENAI_MODEL]: { rpm: 120, tpm: 40_000 },
                [EMBEDDING_MODEL]: SIM_EMBEDDING_LIMITS,
              },
            },
            [SIM_GEMINI_KEY]: { models: { [GEMINI_MODEL]: SIM_GEMINI_LIMITS } },
            [SIM_ANTHROPIC_KEY]: {
              models: { [SIM_ANTHROPIC_MODEL]: { rpm: 60, itpm: 20_000, otpm: 8_000 } },
            },
          },
        });
  const sim = simulator?.url ?? '';
  const input: GatewayConfigInput = {
    listen: { host, port: 0 },
    store: { kind: 'memory' },
    ...(options.dataDir !== undefined && { data_dir: options.dataDir }),
    safety_margin: 0.1,
    model_groups: {
      'gpt-4o-mini': {
        deployments: [
          openaiKey
            ? {
                id: 'openai',
                provider: 'openai',
                base_url: 'https://api.openai.com/v1',
                api_key: openaiKey,
                model: 'gpt-4o-mini',
                limits: { rpm: 500, tpm: 200_000 },
              }
            : {
                id: 'simulated-openai',
                provider: 'openai',
                base_url: `${sim}/v1`,
                api_key: SIM_OPENAI_KEY,
                model: SIM_OPENAI_MODEL,
                limits: { rpm: 120, tpm: 40_000 },
              },
        ],
        // When gpt-4o-mini is full or failing, its callers are served by Claude, translated.
        fallbacks: ['claude-haiku'],
      },
      'claude-haiku': {
        deployments: [
          anthropicKey
            ? {
                id: 'anthropic',
                provider: 'anthropic',
                base_url: 'https://api.anthropic.com',
                api_key: anthropicKey,
                model: 'claude-3-5-haiku-latest',
                limits: { rpm: 50, itpm: 50_000, otpm: 10_000 },
              }
            : {
                id: 'simulated-anthropic',
                provider: 'anthropic',
                base_url: sim,
                api_key: SIM_ANTHROPIC_KEY,
                model: SIM_ANTHROPIC_MODEL,
                limits: { rpm: 60, itpm: 20_000, otpm: 8_000 },
              },
        ],
      },
      [GEMINI_MODEL]: {
        deployments: [
          geminiKey
            ? {
                id: 'gemini',
                provider: 'gemini',
                base_url: 'https://generativelanguage.googleapis.com',
                api_key: geminiKey,
                model: GEMINI_MODEL,
                limits: { rpm: 10, tpm: 250_000, rpd: 250 },
              }
            : {
                id: 'simulated-gemini',
                provider: 'gemini',
                base_url: sim,
                api_key: SIM_GEMINI_KEY,
                model: GEMINI_MODEL,
                limits: SIM_GEMINI_LIMITS,
              },
        ],
      },
      [EMBEDDING_MODEL]: {
        deployments: [
          openaiKey
            ? {
                id: 'openai-embeddings',
                provider: 'openai',
                base_url: 'https://api.openai.com/v1',
                api_key: openaiKey,
                model: EMBEDDING_MODEL,
                limits: { rpm: 3_000, tpm: 1_000_000 },
              }
            : {
                id: 'simulated-embeddings',
                provider: 'openai',
                base_url: `${sim}/v1`,
                api_key: SIM_OPENAI_KEY,
                model: EMBEDDING_MODEL,
                limits: SIM_EMBEDDING_LIMITS,
              },
        ],
      },
    },
    tiers: {
      free: { rpm: 5, tpm: 5_000, priority: 'low', max_wait_ms: 2_000 },
      pro: { rpm: 50, tpm: 50_000, priority: 'normal', max_wait_ms: 30_000 },
      enterprise: { priority: 'critical', max_wait_ms: 60_000 },
    },
    tenants: DEMO_TENANTS.map(({ id, key, tier }) => ({ id, key, tier })),
    admin: { key: DEMO_ADMIN_KEY },
    // Loopback only, whatever --host says: the exposition names every tenant.
    metrics: { listen: { host: '127.0.0.1', port: await portOr('127.0.0.1', DEFAULT_METRICS_PORT) } },
  };
  const config = parseConfig(input, 'the built-in demo configuration', {});
  const gateway = await startGateway({
    config,
    port: await portOr(host, options.port ?? 8787),
    ...(options.logger && { logger: options.logger }),
  });
  const upstream = [
    `${openaiKey ? 'gpt-4o-mini → api.openai.com (OPENAI_API_KEY is set)' : `gpt-4o-mini → simulator ${sim}`}, then claude-haiku`,
    anthropicKey
      ? 'claude-haiku → api.anthropic.com (ANTHROPIC_API_KEY is set)'
      : `claude-haiku → simulator ${sim}`,
    geminiKey
      ? `${GEMINI_MODEL} → generativelanguage.googleapis.com (GEMINI_API_KEY is set)`
      : `${GEMINI_MODEL} → simulator ${sim}`,
    openaiKey
      ? `${EMBEDDING_MODEL} → api.openai.com (OPENAI_API_KEY is set)`
      : `${EMBEDDING_MODEL} → simulator ${sim}`,
  ];
  return {
    gateway,
    simulator,
    instructions: instructions(gateway.url, gateway.metricsUrl, upstream),
    async close() {
      await gateway.close({ timeoutMs: 2_000 });
      await simulator?.close();
    },
  };
}

function instructions(url: string, metricsUrl: string | undefined, upstream: string[]): string[] {
  const pro = 'sk-demo-pro';
  return [
    '',
    `Sluice gateway (demo config) listening on ${url}`,
    `  OpenAI API      ${url}/v1   (chat/completions, responses, completions, embeddings, models)`,
    `  Anthropic API   ${url}      (/v1/messages, /v1/messages/count_tokens)`,
    `  Gemini API      ${url}      (/v1beta/models/{model}:generateContent, :streamGenerateContent,`,
    `                  ${' '.repeat(url.length)}       :countTokens, :embedContent, :batchEmbedContents; GET /v1beta/models)`,
    `  dashboard       ${url}/dashboard   (admin key: ${DEMO_ADMIN_KEY})`,
    `  health          ${url}/healthz   ready ${url}/readyz`,
    `  metrics         ${metricsUrl ?? 'off'}   (its own listener, loopback only)`,
    ...upstream.map((u, i) => `${i === 0 ? '  upstream        ' : '                  '}${u}`),
    '',
    'Demo tenants (send the key as "Authorization: Bearer <key>", "x-api-key: <key>" or "x-goog-api-key: <key>"):',
    ...DEMO_TENANTS.map((t) => `  ${t.key.padEnd(20)} ${t.tier.padEnd(11)} ${t.about}`),
    '',
    'Try it with curl:',
    `  curl ${url}/v1/chat/completions \\`,
    `    -H "Authorization: Bearer ${pro}" -H "Content-Type: application/json" \\`,
    `    -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}'`,
    '',
    // A shell command, not bare code: saved as a `.js` file outside a `"type": "module"` package, ESM
    // `import` would not run, and `-e` without `--input-type=module` would reject top-level await.
    'or with the openai SDK (paste into a shell, in a folder where `openai` is installed: this one is):',
    `  node --input-type=module -e '`,
    `  import OpenAI from "openai";`,
    `  const client = new OpenAI({ baseURL: "${url}/v1", apiKey: "${pro}" });`,
    `  const reply = await client.chat.completions.create({`,
    `    model: "gpt-4o-mini",`,
    `    messages: [{ role: "user", content: "Hello" }],`,
    '  });',
    '  console.log(reply.choices[0].message.content);',
    `  '`,
    '',
    'Gemini, with the @google/genai SDK (installed here too):',
    `  node --input-type=module -e '`,
    `  import { GoogleGenAI } from "@google/genai";`,
    `  const ai = new GoogleGenAI({ apiKey: "${pro}", httpOptions: { baseUrl: "${url}" } });`,
    `  const reply = await ai.models.generateContent({ model: "${GEMINI_MODEL}", contents: "Hello" });`,
    '  console.log(reply.text);',
    `  '`,
    '',
    'Any API in front of any provider: the openai SDK asking for the Anthropic group, translated both ways:',
    `  node --input-type=module -e '`,
    `  import OpenAI from "openai";`,
    `  const client = new OpenAI({ baseURL: "${url}/v1", apiKey: "${pro}" });`,
    `  const reply = await client.chat.completions.create({`,
    `    model: "claude-haiku",`,
    `    messages: [{ role: "user", content: "Hello" }],`,
    '  });',
    '  console.log(reply.model, reply.choices[0].message.content);',
    `  '`,
    '',
    'Embeddings, with the openai SDK:',
    `  node --input-type=module -e '`,
    `  import OpenAI from "openai";`,
    `  const client = new OpenAI({ baseURL: "${url}/v1", apiKey: "${pro}" });`,
    `  const reply = await client.embeddings.create({ model: "${EMBEDDING_MODEL}", input: "Hello" });`,
    '  console.log(reply.data[0].embedding.length, "dimensions,", reply.usage.prompt_tokens, "tokens");',
    `  '`,
    '',
    'Flood it as sk-demo-free to see 429s with Retry-After and x-ratelimit-* headers; Ctrl-C stops.',
    '',
  ];
}

/** `port` when it is free, otherwise a free port (a second `npm start` should still work). */
async function portOr(host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, host, () => {
      const taken = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(taken));
    });
  });
}
