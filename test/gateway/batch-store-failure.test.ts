/**
 * The batch API when its store fails (Redis away or still connecting, as
 * right after a restart): 503 with `Retry-After`, in each family's own error
 * format, so the SDKs retry on their own; the next call, once the store
 * answers, is served. A programming error is a 500 and blames no store.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchStore } from '../../src/batches/batch-store.js';
import { type BatchRig, startBatchRig } from '../batches/batch-rig.js';
import { KEYS } from './helpers.js';

let rig: BatchRig;
beforeEach(async () => {
  rig = await startBatchRig();
});
afterEach(async () => {
  await rig.close();
});

/** Puts a store in front of the lane whose every call rejects with `error` while `failing()` holds. */
function failWhile(failing: () => boolean, error: Error): void {
  const lane = rig.gateway.context.batches;
  if (!lane) throw new Error('the lane is off');
  const store = lane.store;
  const flaky = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        failing() ? Promise.reject(error) : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  }) as BatchStore;
  rig.gateway.context.batches = { ...lane, store: flaky };
}

type SdkError = InstanceType<typeof OpenAI.APIError> | InstanceType<typeof Anthropic.APIError>;

/** The SDK error a call rejects with (both SDKs' `APIError` carry status, headers and body alike). */
async function rejection(call: Promise<unknown>): Promise<SdkError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error instanceof OpenAI.APIError || error instanceof Anthropic.APIError).toBe(true);
  return error as SdkError;
}

describe('the batch API while its store fails', () => {
  it('answers 503 with Retry-After in OpenAI format, then serves once the store is back', async () => {
    let down = true;
    failWhile(() => down, new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    const client = rig.openai(KEYS.pro);
    const error = await rejection(client.batches.list());
    expect(error.status).toBe(503);
    expect(error.headers?.get('retry-after')).toBe('1');
    expect(error.headers?.get('x-sluice-refusal')).toBe('store_unavailable');
    expect(error.message).toContain('The batch store could not be reached');
    down = false;
    expect((await client.batches.list()).data).toEqual([]);
  });

  it('answers 503 with Retry-After in Anthropic format', async () => {
    failWhile(() => true, new Error('Connection is closed.'));
    const error = await rejection(rig.anthropic(KEYS.pro).messages.batches.retrieve('msgbatch_x'));
    expect(error.status).toBe(503);
    expect(error.headers?.get('retry-after')).toBe('1');
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('answers a programming error with 500, not as the store being away', async () => {
    failWhile(() => true, new TypeError("Cannot read properties of undefined (reading 'id')"));
    const error = await rejection(rig.openai(KEYS.pro).batches.retrieve('batch_x'));
    expect(error.status).toBe(500);
    expect(error.headers?.get('x-sluice-refusal')).toBe('internal_error');
    expect(error.headers?.get('retry-after')).toBeNull();
  });
});
