/**
 * The one place the semantic index's Redis key names are built (STYLE.md
 * rule 4). For a `prefix` (default `sluice:cache`, the entry store's) and a
 * partition digest `p`:
 *
 * | key                      | type   | holds                                                   |
 * | ------------------------ | ------ | ------------------------------------------------------- |
 * | `<prefix>:{v:<p>}:log`   | stream | one message per stored question: id, vector, stored at, expires at |
 *
 * Each partition has its own hash tag, so a Redis Cluster spreads
 * partitions over its slots; a partition's log is one key, read and
 * written by one command.
 */
import { InvalidKeyError } from '../stores/redis/keys.js';

export function semanticLogKey(prefix: string, partition: string): string {
  if (!prefix || /[{}]/.test(prefix))
    throw new InvalidKeyError(`cache key prefix must be non-empty and free of braces, got "${prefix}"`);
  if (!partition || /[{}]/.test(partition))
    throw new InvalidKeyError(`semantic partition must be non-empty and free of braces, got "${partition}"`);
  return `${prefix}:{v:${partition}}:log`;
}
