/**
 * Errors that arrive inside a stream after the 200 (PROVIDERS.md §1.6 last
 * note, §3.3, §5 OpenRouter). They are classified by the same function as
 * HTTP errors, with a status taken from the error itself when it carries one
 * (OpenRouter and Google put the HTTP status in `code`) and 500 otherwise.
 */
import type { HeaderLookup, ProviderError } from '../adapter.js';
import { field } from '../parse/json-shape.js';

export type ErrorClassifier = (
  status: number,
  headers: HeaderLookup,
  body: unknown,
  now: number,
) => ProviderError;

const NO_HEADERS: HeaderLookup = Object.freeze({ get: () => null });

export function classifyInStream(classify: ErrorClassifier, body: unknown, error: unknown): ProviderError {
  const code = field(error, 'code');
  const numeric =
    typeof code === 'number' ? code : typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : 0;
  const status = numeric >= 400 && numeric <= 599 ? numeric : 500;
  // Waits inside stream errors are relative (RetryInfo), so `now` is not needed.
  return classify(status, NO_HEADERS, body, 0);
}

/** `{"type":"x"…` at the head of a data line, without parsing the rest. */
export function leadingType(data: string): string | undefined {
  const m = /^\s*\{\s*"type"\s*:\s*"([A-Za-z0-9_.]{1,64})"/.exec(data);
  return m ? m[1] : undefined;
}
