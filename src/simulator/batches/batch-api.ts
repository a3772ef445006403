/**
 * The batch endpoints of both providers on one queue: routes the paths,
 * checks the key like the chat endpoints do, and answers lines with the
 * flavours' own answer generation (`batch-answers.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { SimulatorConfig } from '../config.js';
import type { ContentSource } from '../content.js';
import type { Endpoint, FlavourModule, Reply } from '../flavour.js';
import { jsonReply } from '../flavour.js';
import { anthropicError } from '../flavours/anthropic/anthropic-wire.js';
import { openaiError } from '../flavours/openai/openai-wire.js';
import type { RequestTarget } from '../http-io.js';
import { sendReply } from '../http-io.js';
import type { Flavours } from '../routes.js';
import * as anthropic from './anthropic-batches.js';
import { type AnswerContext, answerLine, parseLine } from './batch-answers.js';
import { BatchJob, type BatchLine } from './batch-job.js';
import { BatchQueue } from './batch-queue.js';
import * as openai from './openai-batches.js';
import { OpenAIFiles } from './openai-files.js';
import { RequestWindow } from './request-window.js';

const DAY_MS = 86_400_000;
const OPENAI_BATCH = /^\/v1\/batches\/([^/]+)(\/cancel)?$/;
const OPENAI_FILE = /^\/v1\/files\/([^/]+)(\/content)?$/;
const ANTHROPIC_BATCH = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/;

export interface BatchApiDeps {
  readonly config: SimulatorConfig;
  readonly clock: Clock;
  readonly flavours: Flavours;
  readonly content: ContentSource;
}

export class BatchApi {
  readonly queue: BatchQueue;
  private readonly files: OpenAIFiles;
  private readonly anthropicRpm: RequestWindow;
  private readonly inputFiles = new Map<string, string>();
  private ordinal = 0;
  private lineOrdinal = 0;

  constructor(private readonly deps: BatchApiDeps) {
    const { config, clock } = deps;
    this.files = new OpenAIFiles(config.batches.max_file_bytes);
    this.anthropicRpm = new RequestWindow(config.batches.anthropic_rpm);
    this.queue = new BatchQueue({
      clock,
      paceMsPerLine: config.batches.pace_ms_per_line,
      answer: (job, line) => this.answer(job, line),
      ended: (job) => {
        if (job.provider === 'openai') openai.writeResultFiles(job, this.files, clock.now());
      },
      admit: (job) => {
        const limit = config.batches.queue_tokens_per_model;
        const queued = this.queue.queued('openai', job.key, job.model).tokens;
        if (queued + job.inputTokens <= limit) return undefined;
        return {
          code: 'token_limit_exceeded',
          message: `Enqueued token limit reached for ${job.model} in organization ${config.openai.organization}. Limit: ${limit.toLocaleString('en-US')} enqueued tokens. Please try again once some in_progress batches have been completed.`,
        };
      },
    });
  }

  /** Whether the path is a batch or file endpoint (then it is answered here). */
  handles(pathname: string): boolean {
    return (
      pathname === '/v1/files' ||
      pathname.startsWith('/v1/files/') ||
      pathname === '/v1/batches' ||
      pathname.startsWith('/v1/batches/') ||
      pathname === '/v1/messages/batches' ||
      pathname.startsWith('/v1/messages/batches/')
    );
  }

  reset(): void {
    this.queue.reset();
    this.files.reset();
    this.anthropicRpm.reset();
    this.inputFiles.clear();
    this.ordinal = 0;
    this.lineOrdinal = 0;
  }

  async serve(req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<void> {
    const isAnthropic = url.pathname.startsWith('/v1/messages/');
    const flavour = isAnthropic ? this.deps.flavours.anthropic : this.deps.flavours.openai;
    const key = flavour.keyOf(req.headers, url);
    const { auth, keys } = this.deps.config;
    const ids = flavour.ids(0, this.deps.clock.now());
    if (auth !== 'none' && (!key || (auth === 'listed' && !Object.hasOwn(keys, key)))) {
      return sendReply(res, flavour.authError(!key, key ?? '', ids));
    }
    if (isAnthropic) {
      const rate = this.anthropicRpm.take(key ?? 'anonymous', this.deps.clock.now());
      if (!rate.granted) {
        const retryAfter = String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000)));
        req.resume();
        const message = "This request would exceed your account's rate limit. Please try again later.";
        return sendReply(
          res,
          anthropicError(429, 'rate_limit_error', message, { 'retry-after': retryAfter }),
        );
      }
    }
    const body =
      req.method === 'POST'
        ? await readAll(req, this.deps.config.batches.max_file_bytes + 1)
        : Buffer.alloc(0);
    const reply = isAnthropic
      ? this.anthropic(req.method ?? 'GET', url, key ?? 'anonymous', body, baseUrlOf(req))
      : await this.openai(req, url, key ?? 'anonymous', body);
    sendReply(res, reply);
  }

  private async openai(req: IncomingMessage, url: RequestTarget, key: string, body: Buffer): Promise<Reply> {
    const { clock } = this.deps;
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/v1/files' && method === 'POST') {
      return this.files.upload(key, req.headers['content-type'] ?? '', body, clock.now());
    }
    const file = OPENAI_FILE.exec(path);
    if (file) {
      const id = decodeURIComponent(file[1] as string);
      if (file[2] && method === 'GET') return this.files.content(key, id);
      if (!file[2] && method === 'GET') return this.files.retrieve(key, id);
      if (!file[2] && method === 'DELETE') return this.files.delete(key, id);
    }
    if (path === '/v1/batches' && method === 'POST') {
      const created = openai.createBatch(parseJson(body), {
        key,
        now: clock.now(),
        id: `batch_${(++this.ordinal).toString(16).padStart(24, '0')}`,
        files: this.files,
        tokensOf: (lines, endpoint) => this.inputTokens(this.deps.flavours.openai, key, lines, endpoint),
      });
      if (!('job' in created)) return created;
      this.inputFiles.set(created.job.id, created.inputFileId);
      this.queue.add(created.job);
      return jsonReply(200, this.openaiObject(created.job));
    }
    if (path === '/v1/batches' && method === 'GET') {
      const all = this.queue.list('openai', key).map((j) => this.openaiObject(j));
      return openai.listBatches(all, url.searchParams.get('after'), url.searchParams.get('limit'));
    }
    const batch = OPENAI_BATCH.exec(path);
    if (batch) {
      const id = decodeURIComponent(batch[1] as string);
      const job = this.queue.get(id);
      if (job?.provider !== 'openai' || job.key !== key) return openai.noSuchBatch(id);
      if (batch[2] && method === 'POST') {
        if (job.phase === 'ended') {
          return openaiError(
            409,
            {
              message: `Cannot cancel a batch with status '${job.outcome}'.`,
              type: 'invalid_request_error',
              param: null,
            },
            {},
          );
        }
        this.queue.cancel(job);
        return jsonReply(200, this.openaiObject(job));
      }
      if (!batch[2] && method === 'GET') return jsonReply(200, this.openaiObject(job));
    }
    return this.deps.flavours.openai.notFound(method, path, this.deps.flavours.openai.ids(0, clock.now()));
  }

  private anthropic(method: string, url: RequestTarget, key: string, body: Buffer, baseUrl: string): Reply {
    const { clock, config } = this.deps;
    const path = url.pathname;
    if (path === '/v1/messages/batches' && method === 'POST') {
      const parsed = anthropic.parseRequests(parseJson(body));
      if (!('lines' in parsed)) return parsed;
      const limit = config.batches.queue_requests;
      const queued = this.queue.queued('anthropic', key).requests;
      if (queued + parsed.lines.length > limit) {
        return anthropicError(
          429,
          'rate_limit_error',
          `Number of batch requests in processing would exceed your organization's limit of ${limit} queued batch requests. Please wait for some batches to finish processing before creating new ones.`,
          {},
        );
      }
      const now = clock.now();
      const job = new BatchJob({
        id: `msgbatch_${(++this.ordinal).toString(36).padStart(24, '0')}`,
        provider: 'anthropic',
        key,
        model: parsed.model,
        endpoint: '/v1/messages',
        lines: parsed.lines,
        inputTokens: this.inputTokens(this.deps.flavours.anthropic, key, parsed.lines, 'messages'),
        createdAt: now,
        expiresAt: now + DAY_MS,
      });
      this.queue.add(job);
      return jsonReply(200, anthropic.messageBatchObject(job, baseUrl));
    }
    if (path === '/v1/messages/batches' && method === 'GET') {
      const all = this.queue.list('anthropic', key).map((j) => anthropic.messageBatchObject(j, baseUrl));
      return anthropic.listMessageBatches(all, url.searchParams);
    }
    const match = ANTHROPIC_BATCH.exec(path);
    if (match) {
      const id = decodeURIComponent(match[1] as string);
      const job = this.queue.get(id);
      if (job?.provider !== 'anthropic' || job.key !== key) return anthropic.notFound(id);
      const action = match[2];
      if (action === '/cancel' && method === 'POST') {
        this.queue.cancel(job);
        return jsonReply(200, anthropic.messageBatchObject(job, baseUrl));
      }
      if (action === '/results' && method === 'GET') {
        if (job.phase !== 'ended')
          return anthropic.invalid(
            `Batch ${id} is still processing; results are available once it has ended.`,
          );
        return {
          status: 200,
          headers: { 'content-type': 'application/binary' },
          body: anthropic.resultsJsonl(job),
        };
      }
      if (!action && method === 'GET') return jsonReply(200, anthropic.messageBatchObject(job, baseUrl));
      if (!action && method === 'DELETE') {
        if (job.phase !== 'ended')
          return anthropic.invalid(`Batch ${id} cannot be deleted while it is processing. Cancel it first.`);
        this.queue.remove(id);
        return jsonReply(200, { id, type: 'message_batch_deleted' });
      }
    }
    return this.deps.flavours.anthropic.notFound(
      method,
      path,
      this.deps.flavours.anthropic.ids(0, clock.now()),
    );
  }

  private openaiObject(job: BatchJob) {
    return openai.batchObject(job, this.inputFiles.get(job.id) ?? '');
  }

  private context(flavour: FlavourModule): AnswerContext {
    return {
      flavour,
      content: this.deps.content,
      promptMultiplier: this.deps.config.token_counting.prompt_multiplier,
    };
  }

  /** Input tokens of the lines as the flavour counts them (the enqueued-token queue's unit). */
  private inputTokens(
    flavour: FlavourModule,
    key: string,
    lines: readonly BatchLine[],
    endpoint: Endpoint,
  ): number {
    const now = this.deps.clock.now();
    let total = 0;
    for (const line of lines) {
      const call = parseLine(this.context(flavour), endpoint, line.body, {
        key,
        now,
        ids: flavour.ids(0, now),
      });
      if ('endpoint' in call) total += call.input.tokens + call.input.cacheCreation + call.input.cacheRead;
    }
    return total;
  }

  private answer(job: BatchJob, line: BatchLine) {
    const flavour = job.provider === 'openai' ? this.deps.flavours.openai : this.deps.flavours.anthropic;
    const endpoint =
      job.provider === 'openai' ? (openai.OPENAI_BATCH_ENDPOINTS[job.endpoint] as Endpoint) : 'messages';
    const now = this.deps.clock.now();
    const base = flavour.ids(++this.lineOrdinal, now);
    // Anthropic reports `usage.service_tier: "batch"` on batch results; OpenAI keeps its usual tier.
    const ids = job.provider === 'anthropic' ? { ...base, serviceTier: 'batch' } : base;
    const answered = answerLine(this.context(flavour), endpoint, line.body, { key: job.key, now, ids });
    return {
      customId: line.customId,
      kind: answered.status === 200 ? ('succeeded' as const) : ('errored' as const),
      status: answered.status,
      requestId: ids.requestId,
      body: answered.body,
    };
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}

function baseUrlOf(req: IncomingMessage): string {
  return `http://${req.headers.host ?? '127.0.0.1'}`;
}

/** Reads a body up to `max` bytes (more is cut: the upload then fails its size check). */
function readAll(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > max) return;
      size += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
