/**
 * The one line the gateway logs per request, and the request's metric, filled
 * in as the request goes: who asked (tenant, group), what the runtime
 * answered (`Answer.report`), what the relay settled, and how it ended.
 * Written once, when the request is done.
 */
import type { Answer } from '../runtime/exchange/answer.js';
import type { Call } from '../runtime/exchange/call.js';
import type { Relay } from '../runtime/exchange/relay.js';
import type { GatewayContext } from './context.js';
import { destinationOf, type RequestLogLine } from './logging.js';
import { formatRequestLine } from './request-line.js';

export class RequestLog {
  tenant: string | undefined;
  /** Why the gateway itself ended the request before it finished (`drain_timeout`). */
  cut: string | undefined;
  private readonly startedAt = performance.now();
  private readonly line: RequestLogLine;

  constructor(
    private readonly ctx: GatewayContext,
    requestId: string,
    method: string,
    path: string,
  ) {
    this.line = {
      request_id: requestId,
      method,
      path,
      status: 0,
      tenant: undefined,
      group: undefined,
      deployment: undefined,
      priority: undefined,
      wait_ms: undefined,
      duration_ms: 0,
      input_tokens: undefined,
      output_tokens: undefined,
      retries: 0,
      stream: false,
      refusal: undefined,
      upstream_error: undefined,
      upstream_detail: undefined,
      aborted: false,
      cut: undefined,
    };
  }

  set status(status: number) {
    this.line.status = status;
  }

  set call(call: Call) {
    this.line.group = call.model;
    this.line.stream = call.stream;
  }

  answered(answer: Answer): void {
    const line = this.line;
    const report = answer.report;
    line.status = answer.status;
    line.refusal = report.refusal;
    line.upstream_error = report.upstreamError;
    line.upstream_detail = report.detail;
    line.deployment = report.deployment;
    line.priority = report.priority;
    line.wait_ms = report.waitedMs;
    line.retries = Math.max(0, report.attempts - 1);
    if (report.usage) {
      line.input_tokens = report.usage.inputTokens;
      line.output_tokens = report.usage.outputTokens;
    }
    if (answer.status === 499) line.aborted = true;
  }

  /** The relay finished (or was cut): what it settled with, and an error event seen inside the stream. */
  relayed(relay: Relay): void {
    const usage = relay.usage;
    if (usage) {
      this.line.input_tokens = usage.inputTokens;
      this.line.output_tokens = usage.outputTokens;
    }
    const streamError = relay.streamError();
    if (streamError) this.line.upstream_error = streamError.kind;
  }

  cutUpstream(reason: string, relay: Relay): void {
    this.relayed(relay);
    this.line.upstream_error = reason;
  }

  clientGone(): void {
    this.line.aborted = true;
    if (this.line.status === 0) this.line.status = 499;
  }

  write(): void {
    const line = this.line;
    line.tenant = this.tenant;
    line.cut = this.cut;
    line.duration_ms = Math.round((performance.now() - this.startedAt) * 1000) / 1000;
    const { governor, metrics, settings, logger } = this.ctx;
    // Only declared groups become label values: a client's made-up model names must not grow the metrics.
    const group = line.group !== undefined && governor.groups.group(line.group) ? line.group : '';
    metrics?.recordRequest({ tenant: line.tenant ?? '', group, status: line.status });
    if (settings.logRequests && logger.isLevelEnabled('info')) {
      destinationOf(logger).write(formatRequestLine(line, Date.now()));
    }
  }
}
