/**
 * One API call from request to settlement, the same for every flavour:
 * key → body → flavour parse → early fault → admission → delivery.
 *
 * Order matters for what gets charged: auth failures, bad requests and early
 * faults (5xx, 529, timeouts, resets, quota errors) are answered before
 * admission and charge nothing; refusals charge only what the provider
 * charges for them (OpenAI: one request, PROVIDERS.md §1.3).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import { MAX_ANSWER_TOKENS, type SimulatorConfig } from './config.js';
import type { ContentSource } from './content.js';
import { deliver } from './delivery.js';
import { EARLY_FAULTS, type Fault, type FaultPlan } from './faults.js';
import type { Call, CallIds, Endpoint, FlavourModule, Reply } from './flavour.js';
import { type RequestTarget, readBody, sendReply } from './http-io.js';
import { timingFor } from './latency.js';
import type { BucketView } from './limits/bucket.js';
import type { Limiter } from './limits/limiter.js';
import { isRefusal, type Lease } from './limits/scope.js';
import type { TierDowngrades } from './service-tiers.js';
import type { SimStats } from './stats.js';
import { countedAs } from './token-counting.js';
import { toolCallAnswer } from './tool-calls.js';

export interface Route {
  readonly flavour: FlavourModule;
  readonly endpoint: Endpoint;
  readonly pathModel: string | undefined;
  readonly pathStream: boolean;
  readonly sse: boolean;
}

export interface ExchangeDeps {
  readonly config: SimulatorConfig;
  readonly clock: Clock;
  readonly limiter: Limiter;
  readonly faults: FaultPlan;
  /** Which service tier serves an admitted call. */
  readonly tiers: TierDowngrades;
  readonly stats: SimStats;
  readonly content: ContentSource;
  /** Answers a 500 (or cuts the connection if the answer had started) when the simulator itself fails. */
  readonly onError: (res: ServerResponse, error: unknown) => void;
}

const EMPTY_ANSWER = { pieces: [], text: '', finish: 'stop' } as const;

export class Exchange {
  private ordinal = 0;

  constructor(private readonly deps: ExchangeDeps) {}

  resetOrdinal(): void {
    this.ordinal = 0;
  }

  serve(req: IncomingMessage, res: ServerResponse, route: Route, url: RequestTarget): void {
    const { config, clock, stats } = this.deps;
    const flavour = route.flavour;
    const ids = flavour.ids(++this.ordinal, clock.now());
    stats.request(flavour.flavour);
    const send = (reply: Reply) => {
      stats.response(reply.status);
      sendReply(res, reply);
    };
    const key = flavour.keyOf(req.headers, url);
    const authError =
      config.auth === 'none'
        ? undefined
        : !key
          ? flavour.authError(true, '', ids)
          : config.auth === 'listed' && !Object.hasOwn(config.keys, key)
            ? flavour.authError(false, key, ids)
            : undefined;
    if (authError) {
      send(authError);
      return;
    }
    const apiKey = key ?? 'anonymous';
    const withBody = (body: unknown) => {
      const parsed = flavour.parse(body, {
        endpoint: route.endpoint,
        pathModel: route.pathModel,
        pathStream: route.pathStream,
        sse: route.sse,
        key: apiKey,
        now: clock.now(),
        ids,
      });
      if (isCall(parsed)) {
        const counted = countedAs(parsed, this.deps.config.token_counting.prompt_multiplier);
        this.admitAndDeliver(req, res, counted, { ids, apiKey, flavour, send });
      } else send(parsed);
    };
    if (req.method !== 'POST') {
      withBody(undefined);
      return;
    }
    readBody(req, (error, raw) => {
      if (error) {
        res.destroy();
        return;
      }
      let body: unknown;
      try {
        body = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        send(flavour.invalidJson(ids));
        return;
      }
      try {
        withBody(body);
      } catch (failure) {
        this.deps.onError(res, failure);
      }
    });
  }

  private admitAndDeliver(
    req: IncomingMessage,
    res: ServerResponse,
    call: Call,
    ctx: { ids: CallIds; apiKey: string; flavour: FlavourModule; send: (reply: Reply) => void },
  ): void {
    const { config, clock, stats, limiter, faults } = this.deps;
    const { ids, apiKey, flavour, send } = ctx;
    const counters = stats.scope(apiKey, call.model);
    counters.requests++;
    const now = clock.now();
    const forced = req.headers['x-sim-fault'];
    const fault = faults.pick(
      { flavour: flavour.flavour, key: apiKey, model: call.model, stream: call.stream },
      now,
      typeof forced === 'string' ? forced : undefined,
    );
    if (fault) stats.fault(fault.kind);
    if (fault && EARLY_FAULTS.has(fault.kind)) {
      this.earlyFault(res, fault, call, ids, flavour, send);
      return;
    }

    let lease: Lease | undefined;
    let views: readonly BucketView[] = [];
    const scope = call.cost ? limiter.scopeFor(flavour.flavour, apiKey, call.scopeModel) : undefined;
    if (scope && call.cost) {
      // A long-context request is counted, and its headers reported, on its size class's limits.
      const context = call.input.tokens + call.input.cacheCreation + call.input.cacheRead;
      const result = scope.admit(call.cost, now, context);
      views = scope.views(now, scope.bucketsFor(context));
      if (isRefusal(result)) {
        stats.reject(counters, result.dimension, !Number.isFinite(result.waitMs));
        send(flavour.rateLimited(result, call, views, now, ids));
        return;
      }
      lease = result;
    }
    call.admitted?.();
    stats.admit(counters);
    const served =
      call.serviceTier === undefined
        ? ctx.ids
        : {
            ...ctx.ids,
            serviceTier: this.deps.tiers.serve(
              {
                flavour: flavour.flavour,
                key: apiKey,
                model: call.model,
                asked: call.serviceTier,
                tokens: call.cost ? call.cost.input + call.cost.output : 0,
              },
              now,
            ),
          };
    const outputOverride = Number(req.headers['x-sim-output-tokens']);
    const answer = call.tool
      ? toolCallAnswer(call.tool, call.echo, call.maxOutput)
      : call.generates
        ? this.deps.content.answer(
            call.echo,
            call.maxOutput,
            Number.isInteger(outputOverride) && outputOverride >= 0
              ? Math.min(outputOverride, MAX_ANSWER_TOKENS)
              : undefined,
          )
        : EMPTY_ANSWER;
    const slow = fault?.kind === 'slow_stream' ? (fault.spec.per_token_ms ?? 200) : undefined;
    const headers = flavour.headers(views, now, served);
    const inputTokens = call.input.tokens + call.input.cacheCreation + call.input.cacheRead;
    deliver({
      res,
      call,
      ids: served,
      answer,
      headers,
      timing: timingFor(config.latency, config.seed, ids.ordinal, slow),
      lease,
      fault,
      clock,
      serverError: () => flavour.fault('500', { kind: '500' }, call, served),
      done: (completed, outputTokens) => {
        stats.release();
        stats.tokens(counters, inputTokens, outputTokens);
        if (completed) stats.response(200);
      },
      fail: (error) => this.deps.onError(res, error),
    });
  }

  private earlyFault(
    res: ServerResponse,
    fault: Fault,
    call: Call,
    ids: CallIds,
    flavour: FlavourModule,
    send: (reply: Reply) => void,
  ): void {
    if (fault.kind === 'reset') {
      res.destroy();
      return;
    }
    if (fault.kind === 'timeout') {
      // Never answer; optionally drop the connection later, like a load balancer's idle timeout.
      const after = fault.spec.after_ms;
      if (after !== undefined) {
        const cancel = this.deps.clock.schedule(after, () => res.destroy());
        res.once('close', cancel);
      }
      return;
    }
    send(flavour.fault(fault.kind, fault.spec, call, ids));
  }
}

function isCall(value: Call | Reply): value is Call {
  return 'endpoint' in value;
}
