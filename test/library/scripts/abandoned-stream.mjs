// Run with `node --expose-gc`: a streamed answer the app drops without reading
// or cancelling must not hold its reservation once the Response is collected.
import { createGovernor } from 'sluice';
import { startSimulator } from 'sluice/simulator';

const sim = await startSimulator({ response: { tokens: 200 }, latency: { ttft_ms: 0, per_token_ms: 5 } });
const governor = createGovernor({
  model_groups: {
    'gpt-4o-mini': {
      deployments: [
        {
          id: 'sim',
          provider: 'openai',
          base_url: `${sim.url}/v1`,
          model: 'gpt-4o-mini',
          limits: { concurrency: 1 },
        },
      ],
    },
  },
});
async function dropOne() {
  const response = await governor.fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      stream: true,
      max_tokens: 200,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  // The app looks at the status and forgets the body.
}
await dropOne();
const held = (await governor.governor.store.stats()).active;
let active = held;
for (let i = 0; i < 50 && active > 0; i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  active = (await governor.governor.store.stats()).active;
}
console.log(JSON.stringify({ held, active }));
await governor.close();
await sim.close();
process.exit(0);
