/** The in-memory fake the batch API tests use keeps the same contract as the real stores. */
import { ManualClock } from '../../src/core/clock.js';
import { describeBatchStoreContract } from './batch-store-contract.js';
import { FakeBatchStore } from './fake-batch-store.js';

describeBatchStoreContract('FakeBatchStore', async () => {
  const store = new FakeBatchStore();
  return { store, clock: new ManualClock(), peer: async () => store, cleanup: () => store.close() };
});
