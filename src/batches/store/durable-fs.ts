/**
 * The few disk operations the file store's crash safety rests on (Linux
 * semantics): a file is replaced whole by writing a temporary sibling,
 * fsyncing it and renaming it over the target; a rename, creation or
 * removal is durable once its directory is fsynced.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temporary names start with this; a scan at open removes any a crash left behind. */
export const TEMP_PREFIX = '.tmp-';

export function tempSibling(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${basename(path)}-${randomBytes(4).toString('hex')}`);
}

/** Writes `chunks` to a new file at `path` and fsyncs it (no rename, no directory sync). */
export async function writeSynced(path: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    for (const chunk of chunks) await handle.writeFile(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory, making the renames, creations and removals in it durable. */
export async function syncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data`: after a crash the file holds the old content
 * or the new, never a mix. Durable when it resolves.
 */
export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempSibling(path);
  try {
    await writeSynced(temp, [data]);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/** Removes a file (gone already is fine) and makes the removal durable. */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDir(dirname(path));
}
