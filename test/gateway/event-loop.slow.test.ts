/**
 * Real time on purpose: a request whose token estimate is slow stops every
 * other request on the gateway's event loop, health checks included.
 * 99,000-character single-character prompts (chat, Responses, embeddings;
 * just inside the characters one request may have tokenized) are sent one
 * after another while `/healthz` is polled back to back; before
 * long runs were kept from the BPE each took about 4 s to estimate. The
 * simulator runs in the same process, so a poll also waits for its work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rig, startRig } from './helpers.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

/** Polls `/healthz` one after another until `until` settles; the duration of each poll in ms. */
async function pollWhile(url: string, until: Promise<unknown>): Promise<number[]> {
  let over = false;
  void until.finally(() => {
    over = true;
  });
  const durations: number[] = [];
  while (!over) {
    const started = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    durations.push(performance.now() - started);
  }
  return durations;
}

describe('slow: one huge prompt does not stall the event loop', () => {
  it('keeps every /healthz poll under 50 ms while 99,000-character single-character prompts are estimated', async () => {
    const client = rig.openai();
    // Small calls first: code paths compiled and connections open, so the polls below time only the estimates.
    await (await fetch(`${rig.gateway.url}/healthz`)).arrayBuffer();
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi', max_output_tokens: 16 });
    await client.embeddings.create({ model: 'gpt-4o-mini', input: 'Hi' });
    const huge = (letter: string) => letter.repeat(99_000);
    const durations: number[] = [];
    const chat = client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: huge('A') }],
      max_tokens: 8,
    });
    durations.push(...(await pollWhile(rig.gateway.url, chat)));
    const response = client.responses.create({
      model: 'gpt-4o-mini',
      input: huge(' '),
      max_output_tokens: 16,
    });
    durations.push(...(await pollWhile(rig.gateway.url, response)));
    const embedding = client.embeddings.create({ model: 'gpt-4o-mini', input: huge('!') });
    durations.push(...(await pollWhile(rig.gateway.url, embedding)));
    expect(durations.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...durations)).toBeLessThan(50);
    expect((await chat).choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect((await response).output_text.length).toBeGreaterThan(0);
    expect((await embedding).data).toHaveLength(1);
  });
});
