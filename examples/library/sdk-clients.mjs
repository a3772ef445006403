// governor.fetch under the official openai and @anthropic-ai/sdk clients.
// Offline: the upstream is Sluice's built-in provider simulator. Run with
//   node examples/library/sdk-clients.mjs
// (after `npm run build`; in your own project, `npm install sluice openai @anthropic-ai/sdk`).
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createGovernor } from 'sluice';
import { startSimulator } from 'sluice/simulator';

// A fake OpenAI + Anthropic on 127.0.0.1 that enforces 60 requests a minute per key and model.
const sim = await startSimulator({ defaults: { rpm: 60 }, response: { tokens: 12 } });

// The configuration is the gateway's YAML as data: the same snake_case keys, validated by the same schema.
const governor = createGovernor({
  model_groups: {
    // The name the app asks for, and the deployments that serve it.
    'gpt-4o-mini': {
      deployments: [
        {
          id: 'openai-main',
          provider: 'openai',
          base_url: `${sim.url}/v1`, // https://api.openai.com/v1 in production
          model: 'gpt-4o-mini',
          limits: { rpm: 60, tpm: 100_000 }, // the limits of your provider account
        },
      ],
    },
    'claude-haiku': {
      deployments: [
        {
          id: 'anthropic-main',
          provider: 'anthropic',
          base_url: sim.url, // https://api.anthropic.com in production
          model: 'claude-3-5-haiku-latest',
          limits: { rpm: 60, itpm: 50_000, otpm: 10_000 },
        },
      ],
    },
  },
});

try {
  // The SDKs keep their own key and base URL; Sluice only sees each call on its way out.
  const openai = new OpenAI({ apiKey: 'sk-my-openai-key', baseURL: `${sim.url}/v1`, fetch: governor.fetch });
  const anthropic = new Anthropic({ apiKey: 'sk-ant-my-key', baseURL: sim.url, fetch: governor.fetch });

  const chat = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  console.log('openai:', chat.choices[0].message.content);
  assert.equal(chat.usage.completion_tokens, 12);

  // Streams pass through chunk by chunk; Sluice reads the usage on the way and settles the reservation.
  const stream = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Count to five' }],
    stream: true,
  });
  let streamed = '';
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
  console.log('openai, streamed:', streamed);

  const message = await anthropic.messages.create({
    model: 'claude-haiku',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  console.log('anthropic:', message.content[0].text);

  // A call can lower its own priority class (critical, high, normal, low) with a header.
  const low = await openai.chat.completions.create(
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'No hurry' }] },
    { headers: { 'x-sluice-priority': 'low', 'x-sluice-max-wait-ms': '5000' } },
  );
  assert.ok(low.choices[0].message.content);

  // What the governor's buckets hold now: reservations are settled with the usage the provider reported.
  const stats = await governor.governor.store.stats();
  console.log('store:', stats);
} finally {
  await governor.close();
  await sim.close();
}
