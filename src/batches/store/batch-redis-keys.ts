/**
 * The one place the Redis batch store's key names are built.
 *
 * Layout, for a store `prefix`:
 *
 * | key                          | type   | holds                                                   |
 * | ---------------------------- | ------ | ------------------------------------------------------- |
 * | `<prefix>:{b:<batch>}:rec`     | string | the BatchRecord (JSON); its presence is the batch's    |
 * | `<prefix>:{b:<batch>}:lines`   | hash   | line index → BatchLine (JSON)                           |
 * | `<prefix>:{b:<batch>}:ids`     | hash   | line index → custom id (results of lines that never ran) |
 * | `<prefix>:{b:<batch>}:pending` | zset   | lines without a result: index → lease end (ms; 0 free)  |
 * | `<prefix>:{b:<batch>}:results` | hash   | line index → LineResult (JSON), first one kept          |
 * | `<prefix>:{b:<batch>}:counts`  | hash   | outcome → lines with that result                        |
 * | `<prefix>:{f:<file>}:meta`     | string | the FileRecord (JSON); its presence is the file's       |
 * | `<prefix>:{f:<file>}:content`  | string | the file's bytes                                        |
 * | `<prefix>:{t:<tenant>}:batches`| zset   | the tenant's batch ids by createdAt                     |
 * | `<prefix>:{t:<tenant>}:files`  | zset   | the tenant's file ids by createdAt                      |
 * | `<prefix>:active`              | set    | ids of batches that may not have ended                  |
 *
 * Every key of one batch (or one file) shares its `{hash tag}`, so a
 * script or MULTI over them stays in one Redis Cluster slot; the tenant
 * indexes and the active set are touched one key at a time.
 */
import { InvalidKeyError } from '../../stores/redis/keys.js';

export class BatchRedisKeys {
  constructor(readonly prefix: string) {
    if (!prefix || /[{}]/.test(prefix)) {
      throw new InvalidKeyError(`Redis key prefix must be non-empty and free of braces, got "${prefix}"`);
    }
  }

  batch(id: string) {
    const base = `${this.prefix}:{b:${id}}`;
    return {
      rec: `${base}:rec`,
      lines: `${base}:lines`,
      ids: `${base}:ids`,
      pending: `${base}:pending`,
      results: `${base}:results`,
      counts: `${base}:counts`,
    };
  }

  file(id: string) {
    const base = `${this.prefix}:{f:${id}}`;
    return { meta: `${base}:meta`, content: `${base}:content` };
  }

  tenantBatches(tenant: string): string {
    return `${this.prefix}:{t:${tenant}}:batches`;
  }

  tenantFiles(tenant: string): string {
    return `${this.prefix}:{t:${tenant}}:files`;
  }

  active(): string {
    return `${this.prefix}:active`;
  }
}
