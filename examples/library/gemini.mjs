// Gemini through governor.fetch, as Gemini's REST calls. @google/genai 2.x can also sit on it:
// new GoogleGenAI({ apiKey, httpOptions: { fetch: governor.fetch } }). Offline against the built-in simulator:
//   node examples/library/gemini.mjs
import assert from 'node:assert/strict';
import { createGovernor } from 'sluice';
import { startSimulator } from 'sluice/simulator';

const sim = await startSimulator({ response: { tokens: 8 } });
const governor = createGovernor({
  model_groups: {
    // The group name is the model the path names: /v1beta/models/{group}:generateContent
    'gemini-2.5-flash': {
      deployments: [
        {
          id: 'gemini-main',
          provider: 'gemini',
          base_url: sim.url, // https://generativelanguage.googleapis.com in production
          model: 'gemini-2.5-flash',
          limits: { rpm: 10, tpm: 250_000, rpd: 250 }, // Gemini's TPM counts input tokens only
        },
      ],
    },
  },
});

try {
  const body = JSON.stringify({
    contents: [{ role: 'user', parts: [{ text: 'Explain rate limits in one sentence.' }] }],
    generationConfig: { maxOutputTokens: 100 },
  });
  const headers = { 'content-type': 'application/json', 'x-goog-api-key': 'my-gemini-key' };

  const plain = await governor.fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'POST',
    headers,
    body,
  });
  assert.equal(plain.status, 200);
  const answer = await plain.json();
  console.log('generateContent:', answer.candidates[0].content.parts[0].text);
  console.log('usage:', answer.usageMetadata);

  // Streams: `:streamGenerateContent?alt=sse`; the last event carries the usage Sluice settles with.
  const streamed = await governor.fetch(
    `${sim.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`,
    { method: 'POST', headers, body },
  );
  assert.equal(streamed.status, 200);
  const events = (await streamed.text()).split('\n').filter((line) => line.startsWith('data: '));
  console.log(`streamGenerateContent: ${events.length} events`);
} finally {
  await governor.close();
  await sim.close();
}
