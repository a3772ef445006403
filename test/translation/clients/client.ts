/**
 * What every client of the matrix does (one file per SDK beside this one):
 * the real SDK of a family making the same few calls in its own terms: a question (with a system prompt, an
 * image, an output cap; streamed or not), a two-round tool loop that sends
 * the result back in its own format, and a call carrying a parameter no
 * other family takes. Each reads back what its SDK gives in the SDK's own
 * words (stop reason, usage fields), so a test compares them with what the
 * upstream reported.
 */
import type { Family } from '../rig.js';

/** How a client reaches the face: the SDK's base URL, key and `fetch`. */
export interface Connection {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly fetch: typeof fetch;
}

export interface Question {
  readonly group: string;
  readonly text: string;
  readonly system?: string;
  /** Adds `IMAGE` as a base64 part. */
  readonly image?: boolean;
  readonly maxTokens?: number;
  readonly stream: boolean;
}

export interface Usage {
  readonly input: number;
  readonly output: number;
}

export interface Said {
  readonly text: string;
  /** The stop reason in the SDK's own words. */
  readonly stop: string;
  readonly usage: Usage;
}

export interface ToolRound {
  readonly call: { readonly id: string; readonly name: string; readonly args: unknown };
  readonly callStop: string;
  readonly final: Said;
}

/** An SDK error as the caller reads it. */
export interface Raised {
  /** The SDK's error class, e.g. `RateLimitError`, `ApiError`, `APICallError`. */
  readonly kind: string;
  readonly status: number | undefined;
  readonly message: string;
}

export interface Client {
  readonly name: string;
  readonly family: Family;
  /** The SDK's words for: the answer ended, the output cap cut it, it called a tool. */
  readonly stops: { readonly end: string; readonly maxTokens: string; readonly toolCalls: string };
  ask(conn: Connection, question: Question): Promise<Said>;
  toolRound(conn: Connection, group: string, stream: boolean): Promise<ToolRound>;
  /** A parameter of this API that no other family takes, as the refusal names it. */
  readonly untravelable: string;
  askUntravelable(conn: Connection, group: string): Promise<unknown>;
  raised(error: unknown): Raised;
  /** The SDK's error class for an answer of `status`. */
  errorClass(status: number): string;
  /** What the SDK raises when a stream ends in its error event (the AI SDK hands over the parsed error object). */
  readonly streamErrorClass: string;
}

/** A 1×1 PNG. */
export const IMAGE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
export const IMAGE_URL = `data:image/png;base64,${IMAGE_BASE64}`;

export const WEATHER = {
  name: 'get_weather',
  description: 'The weather forecast for a city',
  schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' }, days: { type: 'integer' } },
    required: ['city', 'days'],
  },
  question: 'Weather in Paris for 3 days?',
  /** What the simulator calls it with (README "Tool calls"). */
  args: { city: 'Weather in Paris for 3 days?', days: 3 },
  result: 'Sunny, 24 degrees',
};

/** The error classes of the official `openai` and `@anthropic-ai/sdk` clients, by status. */
export function statusClass(status: number): string {
  if (status === 400) return 'BadRequestError';
  if (status === 429) return 'RateLimitError';
  return status >= 500 ? 'InternalServerError' : 'APIError';
}

export function sdkError(error: unknown, status: number | undefined): Raised {
  const e = error as Error;
  return { kind: e.constructor.name, status, message: e.message };
}
