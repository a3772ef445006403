import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBatchStore } from '../../src/batches/store/file-batch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { describeBatchStoreContract } from './batch-store-contract.js';

describeBatchStoreContract('FileBatchStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-batches-'));
  const store = new FileBatchStore({ dir });
  return {
    store,
    clock: new ManualClock(),
    // One process owns a data_dir: its instances on one backend are the one store.
    peer: async () => store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
