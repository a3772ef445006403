/**
 * Watches what reaches gpt-tokenizer's `countTokens`, for tests that prove no
 * caller hands the BPE a long unbroken run. The estimators load the CommonJS
 * build through `createRequire`, so the spy goes on that same module object.
 */
import { createRequire } from 'node:module';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { type MockInstance, vi } from 'vitest';

type CountTokens = (text: string, options?: unknown) => number;

const load = createRequire(import.meta.url);

export interface TokenizerSpy {
  /** Every text handed to `countTokens` of o200k_base or cl100k_base since the spy was set. */
  readonly seen: string[];
  restore(): void;
}

export function spyOnTokenizers(): TokenizerSpy {
  const seen: string[] = [];
  const spies: MockInstance[] = [];
  for (const name of ['o200k_base', 'cl100k_base']) {
    const api = load(`gpt-tokenizer/encoding/${name}`) as { countTokens: CountTokens };
    const original = api.countTokens;
    spies.push(
      vi.spyOn(api, 'countTokens').mockImplementation((text: string, options?: unknown) => {
        seen.push(text);
        return original(text, options);
      }),
    );
  }
  return {
    seen,
    restore() {
      for (const s of spies) s.mockRestore();
    },
  };
}

/** UTF-8 bytes of the longest pre-token either encoding's regex cuts from `text`: what one BPE call works on. */
export function longestPreToken(text: string): number {
  let longest = 0;
  for (const regex of [O200K_TOKEN_SPLIT_REGEX, CL100K_TOKEN_SPLIT_REGEX]) {
    for (const [piece] of text.matchAll(regex)) longest = Math.max(longest, Buffer.byteLength(piece));
  }
  return longest;
}
