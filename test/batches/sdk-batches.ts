/**
 * What the batch tests do through the openai SDK again and again: a chat
 * line of an input file, and a batch submitted from lines (upload, create).
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
