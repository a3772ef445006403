/** Errors the batch stores throw, with stable codes (the gateway maps them at its edge). */

/** A batch id is created twice. */
export class DuplicateBatchError extends Error {
  readonly code = 'duplicate_batch';
}

/** A transition kept losing its compare-and-set to other writers. */
export class BatchConflictError extends Error {
  readonly code = 'batch_conflict';
}

/** An id the file store cannot use as a file name (path separators, a leading dot). */
export class InvalidStoreIdError extends Error {
  readonly code = 'invalid_store_id';
}

/** Another live process owns the file store's `data_dir` (claims live in its memory: two owners would run lines twice). */
export class DataDirLockedError extends Error {
  readonly code = 'data_dir_locked';
}
