/**
 * The one place the response cache's Redis key names are built (STYLE.md
 * rule 4). A namespace is a model group; for a `prefix` (default
 * `sluice:cache`) and namespace `ns`:
 *
 * | key                          | type   | holds                                           |
 * | ---------------------------- | ------ | ----------------------------------------------- |
 * | `<prefix>:{<ns>}:e:<key>`    | hash   | one entry: payload, stored at, expires at, group, scope |
 * | `<prefix>:{<ns>}:lru`        | zset   | entry key → last use                            |
 * | `<prefix>:{<ns>}:exp`        | zset   | entry key → expires at                          |
 * | `<prefix>:{<ns>}:sizes`      | hash   | entry key → bytes counted                       |
 * | `<prefix>:{<ns>}:bytes`      | string | bytes counted in the namespace                  |
 *
 * All of a namespace shares the `{ns}` hash tag: one Redis Cluster slot, so
 * one script call can evict across it; namespaces spread over the cluster.
 * The tag comes first, so nothing after it can move the slot.
 */
import { InvalidKeyError } from '../stores/redis/keys.js';

export const DEFAULT_CACHE_PREFIX = 'sluice:cache';

export class CacheRedisKeys {
  /** The entry hash of key `k` is `entryPrefix + k`. */
  readonly entryPrefix: string;
  readonly lru: string;
  readonly exp: string;
  readonly sizes: string;
  readonly bytes: string;

  constructor(prefix: string, namespace: string) {
    if (!prefix || /[{}]/.test(prefix))
      throw new InvalidKeyError(`cache key prefix must be non-empty and free of braces, got "${prefix}"`);
    if (!namespace || /[{}]/.test(namespace))
      throw new InvalidKeyError(`cache namespace must be non-empty and free of braces, got "${namespace}"`);
    const base = `${prefix}:{${namespace}}`;
    this.entryPrefix = `${base}:e:`;
    this.lru = `${base}:lru`;
    this.exp = `${base}:exp`;
    this.sizes = `${base}:sizes`;
    this.bytes = `${base}:bytes`;
  }
}
