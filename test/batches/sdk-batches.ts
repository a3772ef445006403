/**
 * What the batch tests do through the SDKs again and again: a chat line of
 * an OpenAI input file, a batch submitted from lines (upload, create), and
 * the requests of an Anthropic message batch.
 */
import type OpenAI from 'openai';
import { toFile } from 'openai';

/** One input line calling chat completions on `gpt-4o-mini`. */
export function chatLine(customId: string, body: Record<string, unknown> = {}): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Say ${customId}` }], ...body },
  });
}

/** Uploads the lines as a `purpose: batch` file and creates a 24 h chat batch from it. */
export async function submitBatch(client: OpenAI, lines: readonly string[]): Promise<OpenAI.Batches.Batch> {
  const file = await client.files.create({
    file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'),
    purpose: 'batch',
  });
  return client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
}

/** `count` requests of an Anthropic message batch to `claude-haiku`, custom ids `<prefix>-<i>`. */
export function messageRequests(prefix: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    custom_id: `${prefix}-${i}`,
    params: {
      model: 'claude-haiku',
      max_tokens: 16,
      messages: [{ role: 'user' as const, content: `Q ${i}` }],
    },
  }));
}
