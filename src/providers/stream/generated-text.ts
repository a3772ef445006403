/**
 * Output tokens counted from the text a stream's chunks carry, for streams
 * that end without the provider's final count (the caller left, the
 * upstream was cut, a server ignored `include_usage`). The characters of
 * the JSON string members a pattern names are tallied as the events pass,
 * escapes decoded, never the text kept; the count follows the character
 * rule of `estimateTokensFromChars` (four ASCII characters per token, one
 * per other UTF-16 unit), so it estimates what was delivered, it is not a
 * tokenizer's count.
 *
 * It runs on every event of every stream, so it leans on native searches:
 * the pattern finds the members, `indexOf` the closing quote, and only text
 * with escapes or non-ASCII characters is walked character by character.
 */

const BACKSLASH = 92;
/** Any UTF-16 unit above ASCII (surrogate halves included). */
const NON_ASCII = /[\u0080-\uffff]/;

/** A global pattern for `"name": "` of each member whose string value is generated text. */
export function textMembers(...names: string[]): RegExp {
  return new RegExp(`"(?:${names.join('|')})"\\s*:\\s*"`, 'g');
}

export class GeneratedText {
  private ascii = 0;
  private other = 0;

  /** Tallies every string value of `data` (one event's JSON text) that `members` (from `textMembers`) finds. */
  add(data: string, members: RegExp): void {
    members.lastIndex = 0;
    while (members.test(data)) members.lastIndex = this.tally(data, members.lastIndex);
  }

  /** Output tokens in the text tallied so far. */
  tokens(): number {
    return Math.ceil(this.ascii / 4 + this.other);
  }

  /** Tallies the string starting at `start` (after its opening quote); returns the index after its closing quote. */
  private tally(data: string, start: number): number {
    let end = data.indexOf('"', start);
    while (end > 0 && escaped(data, end)) end = data.indexOf('"', end + 1);
    if (end < 0) end = data.length; // cut inside the value: count what is there
    const backslash = data.indexOf('\\', start);
    if ((backslash < 0 || backslash >= end) && !NON_ASCII.test(data.slice(start, end))) {
      this.ascii += end - start;
      return end + 1;
    }
    this.walk(data, start, end);
    return end + 1;
  }

  /** Escapes decoded, non-ASCII told apart: one character at a time. */
  private walk(data: string, start: number, end: number): void {
    let i = start;
    while (i < end) {
      const code = data.charCodeAt(i);
      if (code === BACKSLASH) {
        if (data.charCodeAt(i + 1) === 117 /* u */) {
          if (Number.parseInt(data.slice(i + 2, i + 6), 16) < 128) this.ascii++;
          else this.other++;
          i += 6;
        } else {
          this.ascii++;
          i += 2;
        }
        continue;
      }
      if (code < 128) this.ascii++;
      else this.other++;
      i++;
    }
  }
}

/** Whether the quote at `at` is escaped: an odd number of backslashes right before it. */
function escaped(data: string, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && data.charCodeAt(i) === BACKSLASH; i--) n++;
  return n % 2 === 1;
}
