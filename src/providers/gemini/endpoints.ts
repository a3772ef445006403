/**
 * Gemini API paths: native `/v1beta/models/{m}:generateContent` and
 * `:streamGenerateContent` (also `/v1/` and `tunedModels/`), and the
 * OpenAI-compatible paths under `/v1beta/openai/` (chat completions,
 * embeddings, models), matched by the OpenAI suffix rules. Some clients
 * percent-encode the colon.
 */
import type { Endpoint } from '../adapter.js';
import { cleanPath, matchOpenAIPath } from '../openai/endpoints.js';

const NATIVE = /\/(?:models|tunedModels)\/([^/:]+):(generateContent|streamGenerateContent)$/;

function nativePath(pathname: string): RegExpExecArray | null {
  return NATIVE.exec(cleanPath(pathname).replace(/%3A/gi, ':'));
}

export function matchGeminiPath(method: string, pathname: string): Endpoint | undefined {
  const verb = typeof method === 'string' ? method.toUpperCase() : '';
  const native = nativePath(pathname);
  if (native) {
    if (verb !== 'POST') return undefined;
    return native[2] === 'streamGenerateContent' ? 'stream_generate_content' : 'generate_content';
  }
  return matchOpenAIPath(verb, pathname);
}

/** The model a native path names (`gemini-2.5-flash` from `/v1beta/models/gemini-2.5-flash:generateContent`). */
export function geminiModelFromPath(pathname: string): string | undefined {
  const native = nativePath(pathname);
  if (!native?.[1]) return undefined;
  try {
    return decodeURIComponent(native[1]);
  } catch {
    return native[1];
  }
}

/** Endpoints served by the OpenAI-compatible paths, which speak OpenAI's formats. */
export function isCompatEndpoint(endpoint: Endpoint | undefined): boolean {
  return endpoint !== 'generate_content' && endpoint !== 'stream_generate_content';
}
