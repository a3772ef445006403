/**
 * Creating a batch, whichever API it came by: the caps (lines, the tier's
 * enqueued tokens), the record (OpenAI's and forwarded ones start
 * `validating`, drained Anthropic ones `in_progress`; both expire 24 h after creation), its lines and the
 * results already known, stored at once; then the lane is woken.
 */

import { randomBytes } from 'node:crypto';
import type { BatchApi, BatchRecord } from '../../batches/batch.js';
import { intakeRefusal } from '../../batches/intake/caps.js';
import type { Intake } from '../../batches/intake/intake.js';
import type { BatchStanding } from '../../batches/progress-tracker.js';
import { refusal } from '../../runtime/refusal.js';
import type { BatchRequest } from './batch-request.js';

/** The only completion window either API offers. */
export const COMPLETION_WINDOW = '24h';
const WINDOW_MS = 24 * 3_600_000;

const ID_PREFIX: Readonly<Record<BatchApi, string>> = Object.freeze({
  openai: 'batch_',
  anthropic: 'msgbatch_',
});

export interface NewBatch {
  readonly api: BatchApi;
  readonly endpoint: string;
  readonly intake: Intake;
  readonly inputFileId?: string | undefined;
  readonly metadata?: Record<string, string> | null | undefined;
}

/** The stored batch, or undefined after refusing it. */
export async function createBatch(call: BatchRequest, init: NewBatch): Promise<BatchRecord | undefined> {
  const { store, settings } = call.lane;
  const { intake } = init;
  const enqueued = await enqueuedTokens(call);
  const refused = intakeRefusal(intake, call.caps(), enqueued);
  if (refused) {
    call.refuse(refused);
    return undefined;
  }
  const now = call.now();
  const mode = settings.modes[intake.model] ?? 'drain';
  // A forwarded batch stays `validating` until the provider took it (Anthropic's API shows it `in_progress`
  // all the same); a drained Anthropic batch runs at once.
  const status = init.api === 'openai' || mode === 'forward' ? 'validating' : 'in_progress';
  const batch: BatchRecord = {
    id: `${ID_PREFIX[init.api]}${randomBytes(12).toString('hex')}`,
    tenant: call.tenant.id,
    api: init.api,
    mode,
    endpoint: init.endpoint,
    model: intake.model,
    inputFileId: init.inputFileId,
    completionWindow: COMPLETION_WINDOW,
    metadata: init.metadata,
    createdAt: now,
    expiresAt: now + WINDOW_MS,
    status,
    times: { [status]: now },
    total: intake.total,
    inputTokens: intake.inputTokens,
  };
  await store.createBatch(batch, intake.lines, intake.known);
  call.lane.wake();
  return batch;
}

/** Estimated input tokens of the tenant's batches not ended yet (the tier's `max_enqueued_tokens` caps it). */
async function enqueuedTokens(call: BatchRequest): Promise<number> {
  if (call.caps().maxEnqueuedTokens === undefined) return 0;
  let sum = 0;
  for (const b of await call.lane.store.activeBatches())
    if (b.tenant === call.tenant.id) sum += b.inputTokens;
  return sum;
}

export function progressOf(call: BatchRequest, batch: BatchRecord): Promise<BatchStanding> {
  const lane = call.lane;
  return lane.progressOf ? lane.progressOf(batch) : lane.store.progress(batch.id);
}

/** The tenant's batch of `api` with this id, or undefined (then the route answers 404, as for an unknown id). */
/**
 * Opens a request about one batch: the tenant's own batch of `api` with
 * this id, or the call is answered with a 404 in the API's words (another
 * tenant's batch is no batch of this one's) and undefined comes back.
 */
export async function openOwnBatch(
  open: () => BatchRequest | undefined,
  api: BatchApi,
  id: string,
): Promise<{ call: BatchRequest; batch: BatchRecord } | undefined> {
  const call = open();
  if (!call) return undefined;
  const batch = await ownBatch(call, api, id);
  if (batch) return { call, batch };
  // Anthropic's message ends without a full stop, OpenAI's with one (as each API words it).
  call.refuse(refusal('batch_not_found', `No batch found with id '${id}'${api === 'openai' ? '.' : ''}`));
  return undefined;
}

export async function ownBatch(
  call: BatchRequest,
  api: BatchApi,
  id: string,
): Promise<BatchRecord | undefined> {
  const batch = await call.lane.store.batch(id);
  return batch?.tenant === call.tenant.id && batch.api === api ? batch : undefined;
}
