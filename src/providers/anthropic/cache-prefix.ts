/**
 * The part of a Messages prompt a cache could serve: everything up to its
 * last `cache_control` breakpoint, in the order Anthropic caches (tools,
 * system, messages; PROVIDERS.md §3.2). Anthropic's ITPM does not count
 * cache reads on most models, so admission learns per prefix how much of
 * it the provider reads from cache (`runtime/estimates/cache-shares.ts`);
 * this names the prefix (a hash of its blocks, so equal prefixes share what
 * was learned) and estimates its input tokens the way `estimate.ts` does.
 */
import { createHash } from 'node:crypto';
import type { CachedPrefix } from '../adapter.js';
import type { PromptTally } from '../estimate/prompt-tally.js';
import { arrayField, field, isRecord } from '../parse/json-shape.js';

export interface PrefixCounting {
  /** Counts one content block (or a string) into the tally, as the estimate does. */
  readonly block: (block: unknown, tally: PromptTally) => void;
  readonly newTally: () => PromptTally;
  /** Fixed tokens per message and for the tool-use system prompt. */
  readonly perMessage: number;
  readonly toolSystemPrompt: number;
}

/** One unit of the prompt in cache order, and the fixed tokens counted before it. */
interface Piece {
  readonly value: unknown;
  readonly kind: 'tool' | 'block';
  readonly before: number;
}

export function cachedPrefixOf(body: unknown, counting: PrefixCounting): CachedPrefix | undefined {
  const pieces = piecesOf(body, counting);
  const last = pieces.findLastIndex((p) => isRecord(p.value) && isRecord(field(p.value, 'cache_control')));
  // Most prompts mark nothing: they are not hashed at all.
  if (last < 0) return undefined;
  const hash = createHash('sha1');
  const tally = counting.newTally();
  for (const piece of pieces.slice(0, last + 1)) {
    const json = jsonOf(piece.value);
    if (json === undefined) return undefined;
    hash.update(json);
    hash.update('\u0000');
    tally.add(piece.before);
    if (piece.kind === 'tool') tally.json(piece.value);
    else counting.block(piece.value, tally);
  }
  return { key: hash.digest('base64url'), inputTokens: tally.total() };
}

function piecesOf(body: unknown, counting: PrefixCounting): Piece[] {
  const pieces: Piece[] = [];
  const tools = arrayField(body, 'tools') ?? [];
  tools.forEach((tool, i) => {
    pieces.push({ value: tool, kind: 'tool', before: i === 0 ? counting.toolSystemPrompt : 0 });
  });
  const system = field(body, 'system');
  if (typeof system === 'string') pieces.push({ value: system, kind: 'block', before: 0 });
  else
    for (const block of arrayField(body, 'system') ?? [])
      pieces.push({ value: block, kind: 'block', before: 0 });
  for (const message of arrayField(body, 'messages') ?? []) {
    if (!isRecord(message)) continue;
    const content = field(message, 'content');
    const blocks = typeof content === 'string' ? [content] : Array.isArray(content) ? content : [];
    blocks.forEach((block, i) => {
      pieces.push({ value: block, kind: 'block', before: i === 0 ? counting.perMessage : 0 });
    });
  }
  return pieces;
}

/** The JSON text of a block, or undefined for what cannot be serialised (cycles, BigInt, depth). */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return undefined;
  }
}
