/**
 * The batch side of a batch scenario: one batch submitted to the gateway
 * through the openai SDK (`files.create` + `batches.create`, as an app
 * would), then its progress read once a second from `batches.retrieve`, on
 * the run's clock, so lines per minute can be taken over the same window as
 * the interactive figures.
 */
import type OpenAI from 'openai';
import { promptText } from '../prompt.js';
import type { BenchBatch } from '../scenario.js';
import { loadOpenAI, sdkClient } from '../targets/sdk-call.js';
import { messageSizes } from '../workload.js';

/** How often the batch's counts are read. */
const POLL_MS = 1_000;

export interface BatchProgressSample {
  /** ms on the run's clock. */
  readonly t: number;
  readonly completed: number;
  readonly failed: number;
  readonly total: number;
  readonly status: string;
}

export interface BatchLoad {
  readonly id: string;
  /** Stops polling (after one last read) and gives every sample taken. */
  stop(): Promise<BatchProgressSample[]>;
}

export interface BatchLoadOptions {
  /** The gateway's OpenAI base URL, e.g. `http://127.0.0.1:8787/v1`. */
  readonly baseURL: string;
  /** The batch tenant's gateway key. */
  readonly apiKey: string;
  readonly model: string;
  readonly batch: BenchBatch;
  readonly now: () => number;
}

/** The input file: every line the same size, written like the interactive calls so echo mode answers its length. */
export function batchInput(batch: BenchBatch, model: string): string {
  const { system, user } = messageSizes({
    promptTokens: batch.prompt_tokens,
    outputTokens: batch.output_tokens,
  });
  const lines: string[] = [];
  for (let i = 0; i < batch.lines; i++) {
    lines.push(
      JSON.stringify({
        custom_id: `line-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model,
          messages: [
            { role: 'system', content: promptText(system) },
            { role: 'user', content: promptText(user) },
          ],
          max_tokens: batch.output_tokens,
        },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function startBatchLoad(options: BatchLoadOptions): Promise<BatchLoad> {
  const client: OpenAI = await sdkClient({ baseURL: options.baseURL, apiKey: options.apiKey, maxRetries: 0 });
  const { toFile } = await loadOpenAI();
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchInput(options.batch, options.model)), 'bench-batch.jsonl'),
    purpose: 'batch',
  });
  const batch = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  const samples: BatchProgressSample[] = [];
  const read = async () => {
    const t = options.now();
    const b = await client.batches.retrieve(batch.id);
    samples.push({
      t,
      completed: b.request_counts?.completed ?? 0,
      failed: b.request_counts?.failed ?? 0,
      total: b.request_counts?.total ?? options.batch.lines,
      status: b.status,
    });
  };
  await read();
  let reading: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    // One read at a time: a slow answer must not pile reads up.
    reading = reading.then(read).catch(() => undefined);
  }, POLL_MS);
  return {
    id: batch.id,
    async stop() {
      clearInterval(timer);
      await reading;
      await read().catch(() => undefined);
      return samples;
    },
  };
}
