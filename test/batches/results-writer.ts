/**
 * Child process of file-batch-store-crash.slow.test.ts: completes the lines
 * of one batch, 32 in flight, and prints each line's index once `complete`
 * resolved (the store's promise that the result is on disk), until killed.
 *
 * Usage: tsx results-writer.ts <data_dir> <batch id> <lines>
 */
import { FileBatchStore } from '../../src/batches/store/file-batch-store.js';

const [dir, batchId, lines] = process.argv.slice(2) as [string, string, string];
const total = Number(lines);
const store = new FileBatchStore({ dir });
let next = 0;

async function worker(): Promise<void> {
  while (next < total) {
    const index = next++;
    const kept = await store.complete(batchId, {
      index,
      customId: `req-${index}`,
      outcome: 'succeeded',
      status: 200,
      requestId: `r-${index}`,
      body: { choices: [{ message: { content: 'x'.repeat(200) } }] },
    });
    // stdout is a pipe: written synchronously on Linux, so a printed index reached the parent's pipe.
    if (kept) process.stdout.write(`${index}\n`);
  }
}

await Promise.all(Array.from({ length: 32 }, worker));
process.stdout.write('finished\n');
