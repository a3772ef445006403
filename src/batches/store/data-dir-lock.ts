/**
 * One process owns a file store's `data_dir`: its claims and leases live in
 * that process's memory, so a second process on the same directory would
 * claim the same lines. The owner writes its pid to `owner.pid`; a store
 * that finds the pid of another live process there refuses to open. A pid
 * left by a process that died (a crash, SIGKILL) is taken over.
 *
 * Instances in one process share the lock (same pid). Two processes
 * starting at the same instant on a stale lock could both take it over;
 * the lock is a guard against a misconfiguration, not a consensus protocol.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir } from './durable-fs.js';
import { DataDirLockedError } from './errors.js';

const LOCK_FILE = 'owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `dir`'s lock; the returned function gives it back. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await syncDir(dir);
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (owner === process.pid) return async () => {};
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new DataDirLockedError(`${dir} is owned by process ${owner}; one process owns a data_dir`);
    }
    await rm(path, { force: true });
  }
  throw new DataDirLockedError(`${dir}: another process took the lock while this one was taking it over`);
}
