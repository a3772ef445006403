/**
 * Structured JSON logs (pino): one line per request and one per event worth
 * an operator's attention (reloads, alerts, store mode, circuit changes).
 * What is never logged: API keys and tenant keys (a tenant is named by its
 * id), request and response bodies (prompts, completions), query strings.
 * Fields a client chooses (the model it asks for, the path) are cut to
 * `CLIENT_TEXT_MAX` characters and their control and bidirectional
 * characters escaped, so a request can neither write a 200 KB line nor make
 * a log viewer show text reordered.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type DestinationStream, type Logger, pino } from 'pino';
import { BatchedLines } from './log-destination.js';

export type GatewayLogger = Logger;

export interface LoggerOptions {
  level: string;
  /** Where lines go (default: stdout, in batches written once per event-loop turn). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): GatewayLogger {
  // One write per event-loop turn instead of one per line (log-destination.ts).
  const destination = options.destination ?? new BatchedLines(1);
  return pino(
    {
      level: options.level,
      base: { service: 'sluice-gateway' },
      // Epoch ms (pino's default): an ISO string per line cost ~1 % of a request in the profile.
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
      // By field name, wherever they are logged (the request line, errors).
      serializers: { group: clientText, model: clientText, path: clientText },
      // Defence in depth: should a header object ever reach a log call, its secrets do not.
      redact: {
        paths: ['headers.authorization', 'headers["x-api-key"]', 'api_key', 'apiKey', 'key'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * Waits until the lines logged so far are written (graceful stop), at most
 * `timeoutMs`: a stuck stdout must not hold up the exit.
 */
export async function flushLogger(logger: GatewayLogger, timeoutMs = 1_000): Promise<void> {
  await Promise.race([
    new Promise<void>((resolve) => logger.flush(() => resolve())),
    delay(timeoutMs, undefined, { ref: false }),
  ]);
}

/** Where a logger writes: lines written there directly (the request line) go with its own, in order. */
export function destinationOf(logger: GatewayLogger): DestinationStream {
  return (logger as unknown as Record<symbol, DestinationStream>)[
    pino.symbols.streamSym
  ] as DestinationStream;
}

/** Characters of a client-chosen string that reach the log. */
export const CLIENT_TEXT_MAX = 128;

/**
 * C0 and C1 controls, bidirectional marks, overrides and isolates, zero-width
 * characters, line and paragraph separators, and unpaired surrogates (a cut
 * may split a pair). JSON escapes only C0; the rest reach a log viewer raw.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A client-chosen string as it may appear in a log line: bounded, with unsafe characters as `\uXXXX`. */
export function clientText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const cut = value.length > CLIENT_TEXT_MAX;
  let text = cut ? value.slice(0, CLIENT_TEXT_MAX) : value;
  UNSAFE.lastIndex = 0;
  if (UNSAFE.test(text)) {
    text = text.replace(UNSAFE, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
  }
  return cut ? `${text}…(${value.length} chars)` : text;
}

/** The fields of the one line written per request. */
export interface RequestLogLine {
  /** The id every answer carries in `x-sluice-request-id`: finds a client's complaint. */
  request_id: string;
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
  /** What the operator should know and the tenant should not (an upstream address, an internal error). */
  upstream_detail: string | undefined;
  /** The client left before the answer was complete. */
  aborted: boolean;
  /** Why the gateway itself ended the request before it finished (`drain_timeout`). */
  cut: string | undefined;
}
