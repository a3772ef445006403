/**
 * One result shape for every translation: the translated value, or every
 * parameter the target cannot express. A translator reads the whole body and
 * reports all such parameters at once, so a caller's 400 names them all; it
 * never drops one silently (issue 16).
 */
import type { ApiFamily } from '../api-family.js';

export interface Untranslatable {
  /** Where in the source body, as a JSON path: `n`, `messages[2].content[0].cache_control`. */
  readonly parameter: string;
  /** Why it cannot travel, in words a caller can act on. */
  readonly reason: string;
}

export type Translation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly untranslatable: readonly Untranslatable[] };

const TITLES: Readonly<Record<ApiFamily, string>> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Gemini',
};

/** Collects what cannot travel while a translator walks a body. */
export class Refusals {
  readonly #found: Untranslatable[] = [];

  add(parameter: string, reason: string): void {
    this.#found.push({ parameter, reason });
  }

  /** Every key of `record` not in `known` is a parameter the neutral form cannot hold. */
  unknownKeys(
    record: Readonly<Record<string, unknown>>,
    known: ReadonlySet<string>,
    at: string,
    from: ApiFamily,
  ): void {
    for (const key of Object.keys(record)) {
      if (!known.has(key) && record[key] !== undefined)
        this.add(
          join(at, key),
          `an ${TITLES[from]} parameter the other API families have no counterpart for`,
        );
    }
  }

  get empty(): boolean {
    return this.#found.length === 0;
  }

  /** Every refusal so far (at least one must have been added). */
  refused<T>(): Translation<T> {
    return { ok: false, untranslatable: [...this.#found] };
  }

  /** The value when nothing was refused, else every refusal. */
  result<T>(value: () => T): Translation<T> {
    if (this.#found.length > 0) return { ok: false, untranslatable: [...this.#found] };
    return { ok: true, value: value() };
  }
}

/** `at` + `key` as a JSON path. */
export function join(at: string, key: string | number): string {
  if (typeof key === 'number') return `${at}[${key}]`;
  return at === '' ? key : `${at}.${key}`;
}
