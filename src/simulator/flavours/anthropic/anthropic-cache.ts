/**
 * Prompt caching, emulated so that cache-aware ITPM can be exercised: cache
 * writes count against ITPM, cache reads do not (PROVIDERS.md §3.2).
 *
 * The prompt is read as blocks in Anthropic's order (tools, system,
 * messages). A block with `cache_control` is a breakpoint; the prefix up to
 * a breakpoint is cached for its TTL (`5m` default, or `1h`) once it is at
 * least `minTokens` long. A later request whose prefix up to one of its
 * breakpoints was cached reads those tokens; the rest up to its last
 * breakpoint is written. Reads refresh the TTL. Per key and model.
 */
import { createHash } from 'node:crypto';
import { charTokens } from '../../tokens.js';
import { arr, isObject, type JsonObject, str, textOf } from '../json.js';

export interface PromptBlock {
  readonly chars: number;
  /** The block's own JSON, hashed into the prefix key. */
  readonly json: string;
  /** TTL in ms when the block is a breakpoint. */
  readonly ttlMs: number | undefined;
}

export interface CacheSplit {
  /** Tokens read from the cache. */
  readonly read: number;
  /** Tokens written to the cache (of which `written1h` with the one-hour TTL). */
  readonly written: number;
  readonly written1h: number;
}

const FIVE_MINUTES = 300_000;
const ONE_HOUR = 3_600_000;
const MAX_ENTRIES = 10_000;

/** The blocks of a Messages request, in cache order. */
export function promptBlocks(body: JsonObject): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  const add = (value: unknown, chars: number) => {
    const control = isObject(value) && isObject(value.cache_control) ? value.cache_control : undefined;
    const ttlMs = control ? (str(control.ttl) === '1h' ? ONE_HOUR : FIVE_MINUTES) : undefined;
    blocks.push({ chars, json: JSON.stringify(value), ttlMs });
  };
  for (const tool of arr(body.tools) ?? []) add(tool, JSON.stringify(tool).length);
  if (typeof body.system === 'string') add(body.system, body.system.length);
  else for (const block of arr(body.system) ?? []) add(block, textOf([block]).length);
  for (const message of arr(body.messages) ?? []) {
    if (!isObject(message)) continue;
    if (typeof message.content === 'string') add(message.content, message.content.length);
    else for (const block of arr(message.content) ?? []) add(block, textOf([block]).length);
  }
  return blocks;
}

export class PromptCache {
  private readonly entries = new Map<string, number>();

  constructor(private readonly minTokens: number) {}

  /**
   * Splits a prompt into cache reads and writes. Nothing is stored until
   * `commit` is called, so refused requests leave the cache as it was.
   */
  split(scope: string, blocks: readonly PromptBlock[], now: number): CacheSplit & { commit(): void } {
    const hash = createHash('sha1');
    let chars = 0;
    const breakpoints: { key: string; tokens: number; ttlMs: number }[] = [];
    for (const block of blocks) {
      hash.update(block.json);
      chars += block.chars;
      if (block.ttlMs !== undefined) {
        breakpoints.push({
          key: `${scope}\u0000${hash.copy().digest('hex')}`,
          tokens: charTokens(chars),
          ttlMs: block.ttlMs,
        });
      }
    }
    const last = breakpoints.at(-1);
    if (!last) return { read: 0, written: 0, written1h: 0, commit: () => {} };
    const hit = breakpoints.findLast((bp) => (this.entries.get(bp.key) ?? 0) > now);
    const read = hit?.tokens ?? 0;
    const writes = read < last.tokens && last.tokens >= this.minTokens;
    const written = writes ? last.tokens - read : 0;
    return {
      read,
      written,
      written1h: last.ttlMs === ONE_HOUR ? written : 0,
      commit: () => {
        if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
        if (hit) this.entries.set(hit.key, now + hit.ttlMs);
        if (writes) this.entries.set(last.key, now + last.ttlMs);
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }
}
