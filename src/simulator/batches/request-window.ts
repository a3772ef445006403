/**
 * Requests per minute of Anthropic's Message Batches endpoints, a limit of
 * their own (PROVIDERS.md §3: "Message Batches have their own RPM"):
 * a sliding 60 s window of request times per key. Pure apart from its
 * state: callers pass `now`.
 */
const WINDOW_MS = 60_000;

export class RequestWindow {
  private readonly times = new Map<string, number[]>();

  constructor(private readonly rpm: number) {}

  /** Counts a request, or returns the milliseconds until one more fits the window. */
  take(key: string, now: number): { granted: true } | { granted: false; retryAfterMs: number } {
    const recent = (this.times.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    this.times.set(key, recent);
    if (recent.length >= this.rpm) {
      return { granted: false, retryAfterMs: (recent[0] as number) + WINDOW_MS - now };
    }
    recent.push(now);
    return { granted: true };
  }

  reset(): void {
    this.times.clear();
  }
}
