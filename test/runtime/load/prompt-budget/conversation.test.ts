/**
 * The trimming core against generated conversations: whatever the entries
 * and the budget, what is kept is pinned entries plus a suffix that begins at
 * a turn start, no tool pair is split, the latest turn start is kept, and no
 * more is dropped than needed to fit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Entry, trimConversation } from '../../../../src/runtime/load/prompt-budget/conversation.js';

const ids = fc.subarray(['a', 'b', 'c', 'd'], { maxLength: 2 });
const entry: fc.Arbitrary<Entry> = fc.record({
  tokens: fc.integer({ min: 0, max: 50 }),
  pinned: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
  opensTurn: fc.boolean(),
  calls: ids,
  results: ids,
});

/** Whether beginning the kept conversation at `cut` keeps every call with its result (the test's own reading). */
function keepsPairs(entries: readonly Entry[], cut: number): boolean {
  const sides = new Map<string, { before: boolean; after: boolean; call: boolean; result: boolean }>();
  entries.forEach((e, i) => {
    if (e.pinned) return;
    for (const [list, side] of [
      [e.calls, 'call'],
      [e.results, 'result'],
    ] as const) {
      for (const id of list ?? []) {
        const s = sides.get(id) ?? { before: false, after: false, call: false, result: false };
        if (i < cut) s.before = true;
        else s.after = true;
        s[side] = true;
        sides.set(id, s);
      }
    }
  });
  return [...sides.values()].every((s) => !(s.call && s.result && s.before && s.after));
}

const validCut = (entries: readonly Entry[], i: number): boolean =>
  i > 0 && entries[i]?.opensTurn === true && !entries[i]?.pinned && keepsPairs(entries, i);

const keptTokensAt = (entries: readonly Entry[], cut: number): number =>
  entries.reduce((sum, e, i) => sum + (i >= cut || e.pinned ? e.tokens : 0), 0);

describe('trimConversation', () => {
  it('keeps pinned entries and a valid suffix, drops oldest first and only what it must', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 14 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 400 }),
        (entries, fixedTokens, budget) => {
          const items = entries.map((_, i) => ({ i }));
          const body = { messages: items, other: 1 };
          const total = fixedTokens + entries.reduce((s, e) => s + e.tokens, 0);
          const trim = trimConversation(body, { field: 'messages', items, entries, fixedTokens }, budget);
          expect(trim.keptTokens + trim.trimmedTokens).toBe(total);
          if (trim.trimmedTokens === 0) {
            expect(trim.body).toBe(body);
            return;
          }
          const kept = (trim.body.messages as { i: number }[]).map((k) => k.i);
          const cut = kept.find((i) => !entries[i]?.pinned) ?? entries.length;
          expect(validCut(entries, cut)).toBe(true);
          expect(kept).toEqual(entries.flatMap((e, i) => (i >= cut || e.pinned ? [i] : [])));
          expect(trim.keptTokens).toBe(fixedTokens + keptTokensAt(entries, cut));
          expect(trim.body.other).toBe(1);
          // Oldest first: no earlier valid cut would have fitted.
          for (let c = 1; c < cut; c++)
            if (validCut(entries, c)) expect(fixedTokens + keptTokensAt(entries, c)).toBeGreaterThan(budget);
          // Over budget only at the latest valid cut.
          if (trim.keptTokens > budget)
            for (let c = cut + 1; c < entries.length; c++) expect(validCut(entries, c)).toBe(false);
        },
      ),
      { numRuns: 2_000, seed: 20 },
    );
  });

  it('drops nothing when the conversation fits', () => {
    const entries: Entry[] = [
      { tokens: 10, opensTurn: true },
      { tokens: 10 },
      { tokens: 10, opensTurn: true },
    ];
    const items = [1, 2, 3];
    const body = { messages: items };
    expect(trimConversation(body, { field: 'messages', items, entries, fixedTokens: 5 }, 35)).toEqual({
      body,
      trimmedTokens: 0,
      keptTokens: 35,
    });
    expect(trimConversation(body, { field: 'messages', items, entries, fixedTokens: 5 }, 34).body).toEqual({
      messages: [3],
    });
  });
});
