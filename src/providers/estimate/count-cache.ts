/**
 * Remembers token counts of long texts. Chat clients resend the system
 * prompt and the whole history with every turn, so most of a request's text
 * was tokenized moments ago; a lookup (one string hash) costs a fraction of
 * re-running BPE (~0.2 µs per token). Bounded by total characters held, and
 * least-recently-used entries go first (Map keeps insertion order).
 */

/** Shorter texts tokenize about as fast as they hash; not worth an entry. */
export const MIN_CACHED_CHARS = 256;

export class CountCache {
  private readonly entries = new Map<string, number>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  get(text: string): number | undefined {
    const count = this.entries.get(text);
    if (count !== undefined) {
      // Refresh recency.
      this.entries.delete(text);
      this.entries.set(text, count);
    }
    return count;
  }

  set(text: string, count: number): void {
    if (text.length > this.maxChars / 4 || this.entries.has(text)) return;
    this.entries.set(text, count);
    this.chars += text.length;
    for (const [oldest] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= oldest.length;
    }
  }
}
