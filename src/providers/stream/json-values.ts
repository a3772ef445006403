/**
 * Splits a JSON stream into its top-level values as text arrives. Gemini's
 * `streamGenerateContent` without `alt=sse` sends one JSON array whose
 * elements arrive over time (`[{…}\n,\r\n{…}]`, PROVIDERS.md §4.2); a
 * single object (a non-streamed body fed to a tap) is one value.
 *
 * Only the element in progress is kept. An element longer than `maxChars`
 * is skipped whole rather than buffered without bound.
 */
export class JsonValueSplitter {
  private depth = 0;
  /** Depth at which elements start: 1 inside the outer array, 0 for bare objects. */
  private base = 0;
  private started = false;
  private inString = false;
  private escaped = false;
  private capturing = false;
  private skipping = false;
  private pending = '';

  constructor(
    private readonly onValue: (text: string) => void,
    private readonly maxChars: number,
  ) {}

  push(text: string): void {
    let start = this.capturing ? 0 : -1;
    // Inside strings (most of the bytes) jump to the next quote or backslash
    // with native indexOf instead of looking at every character.
    let nextQuote = -1;
    let nextBackslash = -1;
    for (let i = 0; i < text.length; i++) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        if (nextQuote < i) nextQuote = indexOrEnd(text, '"', i);
        if (nextBackslash < i) nextBackslash = indexOrEnd(text, '\\', i);
        if (nextBackslash < nextQuote) {
          i = nextBackslash;
          this.escaped = true;
        } else {
          i = nextQuote;
          if (i < text.length) this.inString = false;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        if (!this.started) {
          this.started = true;
          if (c === 0x5b) {
            // The outer array of a streamed response: its elements are the values.
            this.base = 1;
            this.depth = 1;
            continue;
          }
        }
        if (this.depth === this.base && !this.capturing && !this.skipping) {
          this.capturing = true;
          start = i;
        }
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        this.depth = Math.max(0, this.depth - 1);
        if (this.depth === this.base) {
          if (this.capturing) this.emit(text.slice(start, i + 1));
          this.capturing = false;
          this.skipping = false;
          start = -1;
        }
      }
    }
    if (this.capturing && start >= 0) this.keep(text.slice(start));
  }

  private keep(part: string): void {
    if (this.pending.length + part.length > this.maxChars) {
      this.pending = '';
      this.capturing = false;
      this.skipping = true;
      return;
    }
    this.pending += part;
  }

  private emit(tail: string): void {
    const value = this.pending + tail;
    this.pending = '';
    if (value.length <= this.maxChars) this.onValue(value);
  }
}

function indexOrEnd(text: string, needle: string, from: number): number {
  const at = text.indexOf(needle, from);
  return at < 0 ? text.length : at;
}
