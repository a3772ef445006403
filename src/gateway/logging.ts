/**
 * Structured JSON logs (pino): one line per request and one per event worth
 * an operator's attention (reloads, alerts, store mode, circuit changes).
 * What is never logged: API keys and tenant keys (a tenant is named by its
 * id), request and response bodies (prompts, completions), query strings.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type GatewayLogger = Logger;

export interface LoggerOptions {
  level: string;
  /** Where lines go (default: stdout, asynchronously buffered so logging never blocks a request). */
  destination?: DestinationStream;
}

/** Log lines are written in batches of this many bytes, and at least every `FLUSH_MS`. */
const BATCH_BYTES = 12 * 1024;
const FLUSH_MS = 1_000;

export function createLogger(options: LoggerOptions): GatewayLogger {
  let destination = options.destination;
  if (!destination) {
    // One write per ~35 request lines instead of one per line (the profile's largest logging cost);
    // the timer keeps a quiet gateway's lines at most a second late.
    const stdout = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES });
    setInterval(() => {
      try {
        stdout.flush();
      } catch {
        // Not ready yet, or already closed at exit: the next tick (or exit) flushes.
      }
    }, FLUSH_MS).unref();
    destination = stdout;
  }
  return pino(
    {
      level: options.level,
      base: { service: 'sluice-gateway' },
      // Epoch ms (pino's default): an ISO string per line cost ~1 % of a request in the profile.
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
      // Defence in depth: should a header object ever reach a log call, its secrets do not.
      redact: {
        paths: ['headers.authorization', 'headers["x-api-key"]', 'api_key', 'apiKey', 'key'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** The fields of the one line written per request. */
export interface RequestLogLine {
  method: string;
  path: string;
  status: number;
  tenant: string | undefined;
  group: string | undefined;
  deployment: string | undefined;
  priority: string | undefined;
  /** Time spent waiting for admission (queue). */
  wait_ms: number | undefined;
  /** Total time in the gateway until the last byte. */
  duration_ms: number;
  input_tokens: number | undefined;
  output_tokens: number | undefined;
  /** Attempts beyond the first (retries and fallbacks). */
  retries: number;
  stream: boolean;
  /** Why Sluice refused, when it did (`tenant_rate_limited`, `capacity_exhausted`, …). */
  refusal: string | undefined;
  /** The upstream error kind when the answer is a relayed upstream error. */
  upstream_error: string | undefined;
  /** The client left before the answer was complete. */
  aborted: boolean;
  /** Why the gateway itself ended the request before it finished (`drain_timeout`). */
  cut: string | undefined;
}
