/**
 * The one place Redis key names are built (STYLE.md, rule 4).
 *
 * Layout, for a store `prefix` (default `sluice`) and a hash-tag group `tag`:
 *
 * | key                              | type | holds                                                     |
 * | -------------------------------- | ---- | --------------------------------------------------------- |
 * | `<prefix>:{<tag>}:b:<bucket key>` | hash | `l` tat (gcra) or units used (calendar), `w` calendar window start, `p` paused until, `x` TTL good until |
 * | `<prefix>:{<tag>}:c:<bucket key>` | zset | concurrency slots: reservation id → lease expiry           |
 * | `<prefix>:{<tag>}:q:<bucket key>` | hash | waiting demand (cluster-wide order): `class\|instance\|tenant` → amount, weight, expiry (3 packed doubles) |
 * | `<prefix>:{<tag>}:f:<bucket key>` | hash | fair-queuing tags (cluster-wide order): `v\|class` virtual time, `f\|class\|tenant` finish tag |
 * | `<prefix>:{<tag>}:leases`         | zset | reservations held: id → lease expiry                      |
 * | `<prefix>:{<tag>}:stats`          | hash | counters `s` settled, `d` duplicate settles, `e` expired leases |
 * | `<prefix>:groups`                 | set  | every tag in use (only with a custom `hashTag`)            |
 *
 * Every key one script call touches carries the same `{tag}`, so it lands in
 * one Redis Cluster slot. The tag comes first in the name: Redis hashes the
 * first `{…}`, so braces inside a bucket key cannot move it to another slot.
 */

export class InvalidKeyError extends Error {
  readonly code = 'invalid_redis_key';
}

export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    if (!prefix || /[{}]/.test(prefix)) {
      throw new InvalidKeyError(`Redis key prefix must be non-empty and free of braces, got "${prefix}"`);
    }
    this.prefix = prefix;
  }

  /** Checks a hash tag: non-empty and brace-free, or Redis would hash something else. */
  validTag(tag: string): string {
    if (!tag || /[{}]/.test(tag)) {
      throw new InvalidKeyError(`hash tag must be non-empty and free of braces, got "${tag}"`);
    }
    return tag;
  }

  state(tag: string, bucketKey: string): string {
    return `${this.prefix}:{${tag}}:b:${bucketKey}`;
  }

  slots(tag: string, bucketKey: string): string {
    return `${this.prefix}:{${tag}}:c:${bucketKey}`;
  }

  demand(tag: string, bucketKey: string): string {
    return `${this.prefix}:{${tag}}:q:${bucketKey}`;
  }

  fairTags(tag: string, bucketKey: string): string {
    return `${this.prefix}:{${tag}}:f:${bucketKey}`;
  }

  leases(tag: string): string {
    return `${this.prefix}:{${tag}}:leases`;
  }

  stats(tag: string): string {
    return `${this.prefix}:{${tag}}:stats`;
  }

  groups(): string {
    return `${this.prefix}:groups`;
  }

  /** SCAN patterns that match every key of this store (for cleanup and bucket counts). */
  bucketPatterns(): string[] {
    return [`${this.prefix}:{*}:b:*`, `${this.prefix}:{*}:c:*`];
  }

  allPattern(): string {
    return `${this.prefix}:*`;
  }
}
