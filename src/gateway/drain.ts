/**
 * SIGTERM: stop accepting, let in-flight requests finish (streams included)
 * up to a bound, then cut what is left — each cut request aborts its
 * upstream call and settles its reservation — refuse whatever is still
 * queued, and close every connection.
 */
import type { Server } from 'node:http';
import type { GatewayContext } from './context.js';

export interface DrainResult {
  /** Requests that finished on their own while draining. */
  readonly finished: number;
  /** Requests cut when the bound was reached. */
  readonly cut: number;
  readonly waitedMs: number;
}

export interface DrainInput {
  server: Server;
  context: GatewayContext;
  timeoutMs: number;
}

const POLL_MS = 25;

export async function drain({ server, context, timeoutMs }: DrainInput): Promise<DrainResult> {
  const started = Date.now();
  context.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections with no request in progress would hold `close` open.
  server.closeIdleConnections();
  const atStart = context.inFlight.size;
  const deadline = started + timeoutMs;
  while (context.inFlight.size > 0 && Date.now() < deadline) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))),
    );
    server.closeIdleConnections();
  }
  const left = [...context.inFlight];
  for (const request of left) request.cut('drain timeout');
  context.governor.close();
  server.closeAllConnections();
  await closed;
  return { finished: atStart - left.length, cut: left.length, waitedMs: Date.now() - started };
}
