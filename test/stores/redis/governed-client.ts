/**
 * One library instance in its own OS process, for the multi-process tests:
 * `createGovernor` on a FallbackStore over RedisStore (shared prefix),
 * calling the simulator through `governor.fetch`.
 *
 * Protocol: argv[2] is a JSON `ClientConfig`; the process prints `ready`
 * once its store is connected, waits for `go` on stdin, sends its load
 * (an initial burst, then a steady rate), waits for every call to end, and
 * prints one JSON line `result:{...}`.
 */
import { createInterface } from 'node:readline';
import { createGovernor } from '../../../src/library/create-governor.js';
import { FallbackStore, type UnavailablePolicy } from '../../../src/stores/redis/fallback-store.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';

export interface ClientConfig {
  redisUrl: string;
  prefix: string;
  simUrl: string;
  rpm: number;
  /** Calls sent at once on `go`. */
  burst: number;
  /** Calls per second after the burst, for `durationMs`. */
  ratePerSec: number;
  durationMs: number;
  maxWaitMs: number;
  policy: UnavailablePolicy;
  instances: number;
  /** Redis commands slower than this count as unavailability. */
  commandTimeoutMs: number;
}

/** [sent at, ended at, HTTP status (0: exception), retry-after header present (1/0)] */
export type CallRecord = [number, number, number, number];

export interface ClientResult {
  calls: CallRecord[];
  errors: string[];
  hung: number;
  store: { available: boolean; transitions: number; localDecisions: number; refusedUnavailable: number };
  logs: string[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as ClientConfig;
const logs: string[] = [];
const shared = new RedisStore({
  url: config.redisUrl,
  prefix: config.prefix,
  commandTimeoutMs: config.commandTimeoutMs,
  reconnectMinDelayMs: 20,
  reconnectMaxDelayMs: 200,
});
await shared.ready();
const store = new FallbackStore({
  shared,
  onUnavailable: config.policy,
  expectedInstances: config.instances,
  probeIntervalMs: 100,
  logger: {
    warn: (_fields, message) => logs.push(`warn ${message}`),
    info: (_fields, message) => logs.push(`info ${message}`),
  },
});
const governor = createGovernor(
  {
    model_groups: {
      'gpt-4o-mini': {
        deployments: [
          {
            id: 'sim',
            provider: 'openai',
            base_url: `${config.simUrl}/v1`,
            model: 'gpt-4o-mini',
            limits: { rpm: config.rpm },
          },
        ],
      },
    },
  },
  { store },
);

const calls: CallRecord[] = [];
const errors: string[] = [];
const pending = new Set<Promise<void>>();
const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello.' }],
  max_tokens: 5,
});

function call(): void {
  const sentAt = Date.now();
  const p = governor
    .fetch(`${config.simUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-multi',
        'x-sluice-max-wait-ms': String(config.maxWaitMs),
      },
      body,
    })
    .then(async (response) => {
      await response.text();
      calls.push([sentAt, Date.now(), response.status, response.headers.has('retry-after') ? 1 : 0]);
    })
    .catch((error: unknown) => {
      calls.push([sentAt, Date.now(), 0, 0]);
      errors.push(error instanceof Error ? error.message : String(error));
    })
    .finally(() => pending.delete(p));
  pending.add(p);
}

console.log('ready');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));

for (let i = 0; i < config.burst; i++) call();
if (config.ratePerSec > 0) {
  const interval = 1_000 / config.ratePerSec;
  const start = Date.now();
  for (let sent = 0; Date.now() - start < config.durationMs; sent++) {
    const due = start + sent * interval;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    call();
  }
}
const settled = Promise.all([...pending]).then(() => 'done' as const);
const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), config.maxWaitMs + 15_000).unref());
const hung = (await Promise.race([settled, timeout])) === 'hung' ? pending.size : 0;
const status = store.status();
const result: ClientResult = {
  calls,
  errors: errors.slice(0, 20),
  hung,
  store: {
    available: status.available,
    transitions: status.transitions,
    localDecisions: status.localDecisions,
    refusedUnavailable: status.refusedUnavailable,
  },
  logs,
};
console.log(`result:${JSON.stringify(result)}`);
lines.close();
await governor.close();
process.exit(0);
