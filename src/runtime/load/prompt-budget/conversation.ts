/**
 * The common core of prompt budgeting: a conversation seen as a list of
 * entries (the family's messages, items or contents) with their estimated
 * tokens, and where it may begin once older entries are dropped. Each API
 * family only says what its entries are (`openai-chat.ts`,
 * `openai-responses.ts`, `anthropic-messages.ts`, `gemini-contents.ts`);
 * which entries go is decided here, once.
 *
 * Whole turns go, oldest first: the kept conversation begins at a user turn
 * (a user message that answers no tool call), so what is left is still a
 * conversation the provider takes (Anthropic and Gemini want a user turn
 * first) and a tool call never loses its result or the other way round. The
 * latest such user turn and everything after it always stay, and so do
 * pinned entries (system and developer messages inside the conversation).
 * When even that is over budget it is sent as it is: a shorter prompt is the
 * point, a refusal would not be.
 */
import type { PromptTally } from '../../../providers/estimate/prompt-tally.js';
import { arrayField } from '../../../providers/parse/json-shape.js';

/** One entry of the conversation, as the trimmer sees it. */
export interface Entry {
  /** Estimated tokens of the entry, framing included. */
  readonly tokens: number;
  /** Kept whatever the budget: a system or developer message. */
  readonly pinned?: boolean;
  /** The kept conversation may begin here: a user turn that is not a tool result. */
  readonly opensTurn?: boolean;
  /** Ids of the tool calls this entry makes. */
  readonly calls?: readonly string[];
  /** Ids of the tool calls this entry answers. */
  readonly results?: readonly string[];
}

/** A request's conversation: the body field that holds it, its entries, and what is always sent. */
export interface Conversation {
  /** The body field holding the entries: `messages`, `input`, `contents`. */
  readonly field: string;
  readonly items: readonly unknown[];
  /** One per item, in the same order. */
  readonly entries: readonly Entry[];
  /** Tokens outside the entries: system prompt, tool definitions, reply priming. */
  readonly fixedTokens: number;
}

/** What trimming did: the body to send and the estimated tokens it dropped and kept. */
export interface PromptTrim<B> {
  /** The request body to send: the same object when nothing was dropped. */
  readonly body: B;
  /** Estimated prompt tokens dropped (0: nothing was). */
  readonly trimmedTokens: number;
  /** Estimated prompt tokens of `body`; over the budget when even the kept minimum is. */
  readonly keptTokens: number;
}

/** The body as it is, with its estimated tokens. */
export function untrimmed<B>(body: B, tokens: number): PromptTrim<B> {
  return { body, trimmedTokens: 0, keptTokens: tokens };
}

/**
 * Drops the oldest whole turns of `conversation` until its estimated tokens
 * fit `budget`, or down to the latest user turn.
 */
export function trimConversation<B extends Record<string, unknown>>(
  body: B,
  conversation: Conversation,
  budget: number,
): PromptTrim<B> {
  const { entries, fixedTokens } = conversation;
  let total = fixedTokens;
  for (const entry of entries) total += entry.tokens;
  if (total <= budget) return untrimmed(body, total);
  const cut = cutFor(entries, budget - fixedTokens);
  // Dropping entries that count for nothing would change the body and gain nothing.
  if (cut.dropped === 0) return untrimmed(body, total);
  const kept = conversation.items.filter((_, i) => i >= cut.start || entries[i]?.pinned === true);
  return {
    body: { ...body, [conversation.field]: kept },
    trimmedTokens: cut.dropped,
    keptTokens: total - cut.dropped,
  };
}

/**
 * Where the kept conversation begins (entries before it go, pinned ones
 * excepted): the earliest turn start from which the rest fits `room`, else
 * the latest turn start. 0 when no turn start but the first exists.
 */
function cutFor(entries: readonly Entry[], room: number): { start: number; dropped: number } {
  const split = splitsPairs(entries);
  // Tokens dropped by a cut at i: the unpinned entries before i.
  let dropped = 0;
  let pinned = 0;
  let remaining = 0;
  for (const entry of entries) {
    if (entry.pinned) pinned += entry.tokens;
    else remaining += entry.tokens;
  }
  let best = { start: 0, dropped: 0 };
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Entry;
    if (i > 0 && entry.opensTurn && !entry.pinned && !split[i]) {
      best = { start: i, dropped };
      if (pinned + remaining - dropped <= room) return best;
    }
    if (!entry.pinned) dropped += entry.tokens;
  }
  return best;
}

/**
 * For each index i, whether beginning the conversation at i would separate
 * a tool call from its result: some call id has one side before i and the
 * other at or after it. Ids with only one side present are not a pair.
 */
function splitsPairs(entries: readonly Entry[]): boolean[] {
  const spans = new Map<string, { first: number; last: number; call: boolean; result: boolean }>();
  const note = (id: string, i: number, side: 'call' | 'result'): void => {
    const span = spans.get(id) ?? { first: i, last: i, call: false, result: false };
    span.first = Math.min(span.first, i);
    span.last = Math.max(span.last, i);
    span[side] = true;
    spans.set(id, span);
  };
  entries.forEach((entry, i) => {
    if (entry.pinned) return;
    for (const id of entry.calls ?? []) note(id, i, 'call');
    for (const id of entry.results ?? []) note(id, i, 'result');
  });
  // +1 just after a pair's first entry, -1 just after its last: a cut inside a span splits it.
  const delta = new Array<number>(entries.length + 1).fill(0);
  for (const span of spans.values()) {
    if (!span.call || !span.result || span.first === span.last) continue;
    delta[span.first + 1] = (delta[span.first + 1] ?? 0) + 1;
    delta[span.last + 1] = (delta[span.last + 1] ?? 0) - 1;
  }
  const split: boolean[] = [];
  let open = 0;
  for (let i = 0; i < entries.length; i++) {
    open += delta[i] ?? 0;
    split.push(open > 0);
  }
  return split;
}

/** The tokens `count` adds to `tally`: one tally per request, so its tokenizing budget is the request's. */
export function tokensOf(tally: PromptTally, count: () => void): number {
  const before = tally.total();
  count();
  return tally.total() - before;
}

/** How a family's request holds its conversation, for `trimField`. */
export interface ConversationField {
  /** The body field holding the entries: `messages`, `input`, `contents`. */
  readonly field: string;
  /** The request's tally (its tokenizer): every count below adds to it. */
  readonly tally: PromptTally;
  /** Counts a whole request (with the field emptied: what is always sent). */
  countRequest(body: Record<string, unknown>): void;
  countItem(item: unknown): void;
  /** What an item is to the trimmer besides its tokens; called in order. */
  describe(item: unknown, index: number): Omit<Entry, 'tokens'>;
}

/** `body` with its conversation field trimmed to `budget` (untouched when the field is not a list). */
export function trimField(
  body: Record<string, unknown>,
  budget: number,
  shape: ConversationField,
): PromptTrim<Record<string, unknown>> {
  const { field, tally } = shape;
  const items = arrayField(body, field);
  if (!items)
    return untrimmed(
      body,
      tokensOf(tally, () => shape.countRequest(body)),
    );
  const fixedTokens = tokensOf(tally, () => shape.countRequest({ ...body, [field]: [] }));
  const entries = items.map(
    (item, i): Entry => ({
      tokens: tokensOf(tally, () => shape.countItem(item)),
      ...shape.describe(item, i),
    }),
  );
  return trimConversation(body, { field, items, entries, fixedTokens }, budget);
}
