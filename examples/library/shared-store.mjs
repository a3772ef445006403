// Several processes sharing one set of limits through Redis: createSharedStore from the package root,
// passed to createGovernor as its store. Needs a Redis (REDIS_URL, default redis://127.0.0.1:6379);
// the provider is the built-in simulator:
//   REDIS_URL=redis://127.0.0.1:6379 node examples/library/shared-store.mjs
//
// This file runs as the parent (starts the simulator and three worker processes, then checks what the
// provider saw) and as each worker (`worker` argument): the part to copy into your app is worker().
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createGovernor, createSharedStore } from 'sluice';
import { startSimulator } from 'sluice/simulator';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RPM = 30; // the provider's limit for the key, shared by every process
const WORKERS = 3;
const CALLS = 20; // per worker, all at once: 60 calls against a limit of 30 a minute

async function worker({ simUrl, prefix }) {
  const store = await createSharedStore({
    url: REDIS_URL,
    prefix, // every process of one fleet uses the same prefix (default `sluice`)
    onUnavailable: 'fail_closed', // or 'fail_open': each process then keeps limit ÷ expectedInstances locally
    expectedInstances: WORKERS,
  });
  if (!store.status().available) throw new Error(`no Redis at ${REDIS_URL}: set REDIS_URL`);
  const governor = createGovernor(
    {
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            {
              id: 'openai-main',
              provider: 'openai',
              base_url: `${simUrl}/v1`,
              api_key: 'sk-shared-account',
              model: 'gpt-4o-mini',
              limits: { rpm: RPM },
            },
          ],
        },
      },
      default_max_wait_ms: 0, // refuse at once what does not fit now (default: queue up to 30 s)
    },
    { store }, // the store instance; the config's `store:` key is for the gateway's YAML
  );
  process.send('ready');
  await once(process, 'message'); // 'go': every worker starts at the same moment
  const statuses = await Promise.all(
    Array.from({ length: CALLS }, () =>
      governor
        .fetch(`${simUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'Hi' }],
            max_tokens: 5,
          }),
        })
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        }),
    ),
  );
  await governor.close(); // closes the store too
  process.send(statuses);
  process.disconnect(); // the IPC channel would keep this process alive
}

async function parent() {
  const sim = await startSimulator({
    keys: { 'sk-shared-account': { models: { 'gpt-4o-mini': { rpm: RPM } } } },
  });
  const prefix = `sluice-example-${process.pid}-${Date.now()}`;
  const file = fileURLToPath(import.meta.url);
  try {
    const workers = Array.from({ length: WORKERS }, () =>
      fork(file, ['worker', JSON.stringify({ simUrl: sim.url, prefix })], { stdio: 'inherit' }),
    );
    const exits = workers.map((w) => once(w, 'exit'));
    await Promise.all(workers.map((w) => once(w, 'message')));
    for (const w of workers) w.send('go');
    const results = (await Promise.all(workers.map((w) => once(w, 'message')))).map(([statuses]) => statuses);
    for (const [code] of await Promise.all(exits)) assert.equal(code, 0);

    const all = results.flat();
    const served = all.filter((s) => s === 200).length;
    const refused = all.filter((s) => s === 503).length;
    const stats = sim.stats();
    console.log(
      `${WORKERS} processes, ${all.length} calls: ${served} served, ${refused} refused by Sluice (503 + Retry-After), ` +
        `${stats.rejected.rpm} rate-limited by the provider`,
    );
    // One bucket for all: together the processes were served about one full bucket (30 less the 10 %
    // safety margin, plus what refilled meanwhile), not one each, and the provider never answered 429.
    assert.equal(served + refused, all.length);
    assert.ok(served >= RPM * 0.9 && served < WORKERS * RPM * 0.9, `served ${served}`);
    assert.equal(stats.rejected.rpm, 0);
  } finally {
    await sim.close();
  }
}

if (process.argv[2] === 'worker') await worker(JSON.parse(process.argv[3]));
else await parent();
