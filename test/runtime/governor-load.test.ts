/**
 * The governor under load (STYLE.md, load-shaped tests): many concurrent
 * calls over several deployments, a pool and a fallback group, with random
 * upstream answers, deadlines and aborts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Answer } from '../../src/runtime/exchange/answer.js';
import { OK, QUOTA, RATE_LIMITED, SERVER_ERROR } from './canned.js';
import { bytes, call, governorFor, openaiDeployment, type Step } from './kit.js';

describe('governor: under load', () => {
  const KINDS = ['ok', 'ok', 'ok', 'server', 'rate', 'network', 'quota', 'bad'] as const;
  const reply = (kind: (typeof KINDS)[number]): Step => {
    switch (kind) {
      case 'ok':
        return OK;
      case 'server':
        return SERVER_ERROR();
      case 'rate':
        return RATE_LIMITED({ 'retry-after': '3' });
      case 'network':
        return { throws: new Error('ECONNRESET') };
      case 'quota':
        return QUOTA;
      case 'bad':
        return {
          status: 400,
          headers: { 'content-type': 'application/json' },
          body: { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } },
        };
    }
  };
  const BODY = bytes(JSON.stringify(OK.body));

  it('answers every call and settles every reservation exactly once, whatever the upstreams answer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 16 }),
        fc.array(
          fc.record({
            arriveAt: fc.integer({ min: 0, max: 20 }),
            maxWaitMs: fc.integer({ min: 0, max: 20_000 }),
            abortAt: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
            tenant: fc.constantFrom('default', 'free'),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        async (pattern, calls) => {
          const rig = governorFor({
            modelGroups: {
              g: {
                deployments: [
                  openaiDeployment('a', { limits: { rpm: 6, concurrency: 2 }, pools: ['p'] }),
                  openaiDeployment('b', { limits: { rpm: 12 } }),
                ],
                fallbacks: ['h'],
              },
              h: { deployments: [openaiDeployment('c', { limits: { tpm: 2_000 } })] },
            },
            pools: { p: { rpm: 4 } },
            tiers: { free: { limits: { rpm: 5 } } },
            tenants: [{ id: 'free', tier: 'free' }],
            safetyMargin: 0,
            circuit: { consecutiveFailures: 2, firstOpenMs: 1_000 },
          });
          rig.transport.otherwise((_sent, i) => reply(pattern[i % pattern.length] ?? 'ok'));
          const answers: (Answer | undefined)[] = calls.map(() => undefined);
          const controllers = calls.map(() => new AbortController());
          // One tick is 500 ms; relay each success's body as soon as it is answered.
          for (let tick = 0; tick < 400 && answers.some((a) => a === undefined); tick++) {
            calls.forEach((c, i) => {
              if (c.arriveAt === tick) {
                const signal = controllers[i]?.signal;
                void rig
                  .serve(call('openai', { tenant: c.tenant, maxWaitMs: c.maxWaitMs, signal }))
                  .then((a) => {
                    answers[i] = a;
                    a.relay?.push(BODY);
                    a.relay?.end();
                  });
              }
              if (c.abortAt === tick) controllers[i]?.abort();
            });
            await rig.clock.advanceAsync(500);
          }
          expect(answers.every((a) => a !== undefined)).toBe(true);
          for (const a of answers) expect([200, 400, 429, 499, 500, 502, 503]).toContain(a?.status);
          rig.store.expectSettledOnce();
          expect((await rig.store.stats()).active).toBe(0);
          expect(rig.governor.admission.queued()).toBe(0);
          expect(rig.transport.unscripted).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });
});
