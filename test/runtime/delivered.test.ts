/**
 * What observers are told at settlement, at the runtime's boundary (fake
 * transport, manual clock): a cut stream delivered the usage seen plus the
 * output counted from its chunks while the buckets keep the estimate; a
 * whole answer delivered the provider's count; a failed attempt delivered
 * nothing; and a call that retried says whether the retries got it served.
 */
import { describe, expect, it } from 'vitest';
import { sample, bytes as toBytes } from '../providers/helpers.js';
import { OK, ONE, SERVER_ERROR, start } from './canned.js';
import { call, governorFor, text } from './kit.js';

const SSE = { 'content-type': 'text/event-stream' };

function chatChunk(content: string): string {
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], usage: null })}\n\n`;
}

describe('settled: what a call delivered', () => {
  it('a stream cut after three chunks delivered the estimated input and the output its chunks carried', async () => {
    const rig = governorFor(ONE);
    const chunks = [chatChunk('abcd'), chatChunk('efgh'), chatChunk('ijkl'), chatChunk('never sent')];
    rig.transport.script('a', { status: 200, headers: SSE, chunks });
    const answer = await rig.serve(call('openai', { stream: true, maxTokens: 3_000 }));
    const relay = answer.relay;
    if (!relay) throw new Error('no relay');
    for (const chunk of chunks.slice(0, 3)) relay.push(toBytes(chunk));
    relay.cancel(); // the caller left
    const [settled] = rig.events.settled;
    expect(settled).toMatchObject({
      usage: undefined,
      reported: false,
      answered: true,
      streamed: true,
      delivered: { inputTokens: settled?.estimate.inputTokens, outputTokens: 3 },
    });
    expect(settled?.firstChunkMs).toBe(0);
    // The buckets keep the estimate, settled once.
    const [stored] = rig.store.expectSettledOnce();
    expect(stored?.usage).toBeUndefined();
    expect(stored?.reservation.cost.outputTokens).toBe(3_000);
  });

  it('an Anthropic stream cut before message_delta delivered message_start’s input and the text seen', async () => {
    const rig = governorFor({
      modelGroups: {
        claude: {
          deployments: [{ id: 'c', provider: 'anthropic', baseUrl: 'http://c.test', model: 'claude-x' }],
        },
      },
    });
    const beforeDelta = sample('8.13').text.split('event: message_delta')[0] as string;
    rig.transport.script('c', { status: 200, headers: SSE, chunks: [beforeDelta] });
    const answer = await rig.serve(call('anthropic', { model: 'claude', stream: true, maxTokens: 1_000 }));
    answer.relay?.push(toBytes(beforeDelta));
    answer.relay?.fail();
    // 25 input from message_start; "Hello!" is 6 characters: 2 tokens, more than the placeholder 1.
    expect(rig.events.settled[0]?.delivered).toMatchObject({ inputTokens: 25, outputTokens: 2 });
    expect(rig.store.expectSettledOnce()[0]?.usage).toBeUndefined();
  });

  it('a whole answer delivered the provider’s count, reported; a failed attempt delivered nothing', async () => {
    const rig = governorFor({ ...ONE, retry: { maxAttempts: 2 } });
    rig.transport.script('a', SERVER_ERROR(), OK);
    const { done } = start(rig);
    await rig.clock.advanceAsync(10_000);
    const answer = await done;
    const relay = answer.relay;
    const reply = rig.transport.replies[1];
    if (!relay || !reply) throw new Error('no relay');
    text(reply.chunks.map((c) => relay.push(c)));
    relay.end();
    const [failed, served] = rig.events.settled;
    expect(failed).toMatchObject({
      answered: false,
      reported: false,
      delivered: { inputTokens: 0, outputTokens: 0 },
    });
    expect(served).toMatchObject({
      answered: true,
      reported: true,
      delivered: { inputTokens: 7, outputTokens: 3 },
    });
    expect(served?.delivered).toBe(served?.usage);
    expect(rig.events.retried).toEqual([{ deployment: 'a', retries: 1, outcome: 'succeeded' }]);
  });

  it('a call whose retries did not help says so; one that never retried says nothing', async () => {
    const rig = governorFor({ ...ONE, retry: { maxAttempts: 2 } });
    rig.transport.script('a', SERVER_ERROR(), SERVER_ERROR(), OK);
    const { done } = start(rig);
    await rig.clock.advanceAsync(10_000);
    expect((await done).status).toBe(500);
    expect(rig.events.retried).toEqual([{ deployment: 'a', retries: 1, outcome: 'failed' }]);
    const second = start(rig);
    await rig.clock.advanceAsync(10_000);
    expect((await second.done).status).toBe(200);
    expect(rig.events.retried).toHaveLength(1);
  });
});
