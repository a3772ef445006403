/**
 * Output tokens counted from the text a stream's chunks carry, for streams
 * that end without the provider's final count (the caller left, the
 * upstream was cut, a server ignored `include_usage`). The characters of the
 * named JSON string members are tallied as the events pass, escapes
 * decoded, never the text kept; the count follows the character rule of
 * `estimateTokensFromChars` (four ASCII characters per token, one per other
 * UTF-16 unit), so it is an estimate of what was delivered, not a
 * tokenizer's count.
 */

const BACKSLASH = 92;
const QUOTE = 34;

export class GeneratedText {
  private ascii = 0;
  private other = 0;

  /** Tallies every `"<member>": "…"` string value of `data` (one event's JSON text) for each of `members`. */
  add(data: string, members: readonly string[]): void {
    for (const member of members) {
      const needle = `"${member}"`;
      let at = data.indexOf(needle);
      while (at >= 0) {
        at = this.tallyValue(data, at + needle.length);
        at = data.indexOf(needle, at);
      }
    }
  }

  /** Output tokens in the text tallied so far. */
  tokens(): number {
    return Math.ceil(this.ascii / 4 + this.other);
  }

  /** Tallies the string after `"member"` (`: "…"`), if it is one; returns where scanning may go on. */
  private tallyValue(data: string, from: number): number {
    let i = from;
    while (i < data.length && isSpace(data.charCodeAt(i))) i++;
    if (data.charCodeAt(i) !== 58 /* : */) return i;
    i++;
    while (i < data.length && isSpace(data.charCodeAt(i))) i++;
    if (data.charCodeAt(i) !== QUOTE) return i;
    i++;
    while (i < data.length) {
      const code = data.charCodeAt(i);
      if (code === QUOTE) return i + 1;
      if (code === BACKSLASH) {
        const escaped = data.charCodeAt(i + 1);
        if (escaped === 117 /* u */) {
          const unit = Number.parseInt(data.slice(i + 2, i + 6), 16);
          if (unit < 128) this.ascii++;
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
    return i;
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}
