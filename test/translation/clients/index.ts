/** The clients of the matrix: each real SDK of a family, and the Vercel AI SDK over two providers. */
import { vercelAnthropic, vercelOpenai } from './ai-sdk.js';
import { anthropicClient } from './anthropic.js';
import type { Client } from './client.js';
import { genaiClient } from './genai.js';
import { openaiClient } from './openai.js';

export * from './client.js';

export const CLIENTS: readonly Client[] = [
  openaiClient,
  anthropicClient,
  genaiClient,
  vercelOpenai,
  vercelAnthropic,
];
