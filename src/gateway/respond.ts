/**
 * Answers the gateway writes itself (401, 400, 404, 413, refusals, health),
 * in the error format of the API the caller speaks: OpenAI's envelope on
 * OpenAI paths, Anthropic's on `/v1/messages`, Gemini's on `/v1beta/`. The official SDKs then raise
 * their own error classes and read `Retry-After` / `x-should-retry` as they
 * would from the provider.
 */
import type { ServerResponse } from 'node:http';
import type { ProviderAdapter, RefusalKind } from '../providers/adapter.js';
import { createAdapter } from '../providers/registry.js';
import type { ApiFamily } from '../runtime/api-family.js';

/** Adapters used only to format errors before a model group (and its adapter) is known. */
const ERROR_FORMAT: Readonly<Record<ApiFamily, ProviderAdapter>> = Object.freeze({
  openai: createAdapter('openai'),
  anthropic: createAdapter('anthropic'),
  gemini: createAdapter('gemini'),
});

export function errorAdapter(family: ApiFamily): ProviderAdapter {
  return ERROR_FORMAT[family];
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: string[] = []): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  headers.push('content-type', 'application/json', 'content-length', String(Buffer.byteLength(text)));
  res.writeHead(status, headers);
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, ['content-type', contentType, 'content-length', String(Buffer.byteLength(text))]);
  res.end(text);
}

/** An error in the caller's API format; `headers` is a flat `[name, value, …]` list. */
export function sendError(
  res: ServerResponse,
  family: ApiFamily,
  kind: RefusalKind,
  message: string,
  options: { status?: number; headers?: string[] } = {},
): void {
  const payload = ERROR_FORMAT[family].errorPayload(kind, message, undefined, options.status);
  sendJson(res, options.status ?? payload.status, payload.body, options.headers ?? []);
}
