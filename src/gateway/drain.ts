/**
 * SIGTERM: stop accepting, let in-flight requests finish (streams included)
 * up to a bound, then end what is left — a request with nothing sent yet is
 * answered 503 with Retry-After, a stream under way is cut; either way its
 * upstream call is aborted and its reservation settled — and close every
 * connection.
 *
 * Keep-alive connections are closed without losing a request on them: from
 * the start of the drain every answer says `Connection: close` (the client
 * knows not to send another on that connection), and connections that are
 * idle are left open until no request has started anywhere for `QUIET_MS`
 * (a client sending on an idle connection gets an answer, then the close).
 * Closing an idle connection at once races the request a client may be
 * sending on it right then: that request gets a socket error, no answer.
 */
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { GatewayContext } from './context.js';

export interface DrainResult {
  /** Requests that finished on their own while draining. */
  readonly finished: number;
  /** Requests ended at the bound (answered 503, or a stream cut). */
  readonly cut: number;
  readonly waitedMs: number;
}

export interface DrainInput {
  server: Server;
  context: GatewayContext;
  timeoutMs: number;
  /** The gateway's clock: the bound, the quiet period and the polls are measured on it (tests drive it by hand). */
  clock: Clock;
}

const POLL_MS = 25;
/** Idle connections are closed once no request has started for this long (and none is in flight). */
const QUIET_MS = 250;
/** After the bound, how long the 503s just written get to reach their clients before connections are cut. */
const FLUSH_MS = 500;

export async function drain(input: DrainInput): Promise<DrainResult> {
  // The clock's timers do not hold the process open (the system clock unrefs them): this does, until the drain ends.
  const hold = setInterval(() => undefined, 2 ** 30);
  try {
    return await drainHeld(input);
  } finally {
    clearInterval(hold);
  }
}

async function drainHeld({ server, context, timeoutMs, clock }: DrainInput): Promise<DrainResult> {
  const started = clock.now();
  context.draining = true;
  let lastRequestAt = started;
  // First listener: the flag must be set before any handler writes its headers.
  const closeAfterAnswer = (_req: unknown, res: ServerResponse) => {
    res.shouldKeepAlive = false;
    lastRequestAt = clock.now();
  };
  server.prependListener('request', closeAfterAnswer);
  // Stop accepting. `http.Server#close` would also destroy every idle keep-alive connection
  // at once (Node ≥ 19), racing requests already on their way: net's `close` only stops listening.
  let allClosed = false;
  const closed = new Promise<void>((resolve) =>
    NetServer.prototype.close.call(server, () => {
      allClosed = true;
      resolve();
    }),
  );
  const atStart = context.inFlight.size;
  const deadline = started + timeoutMs;
  for (let now = clock.now(); !allClosed && now < deadline; now = clock.now()) {
    if (context.inFlight.size === 0 && now - lastRequestAt >= QUIET_MS) break;
    await delay(clock, Math.min(POLL_MS, Math.max(1, deadline - now)));
  }
  const left = [...context.inFlight];
  for (const request of left) request.cut('drain_timeout');
  context.governor.close();
  if (left.length > 0) await Promise.race([closed, delay(clock, FLUSH_MS)]);
  server.closeAllConnections();
  // `http.Server#close` also stops Node's connection-timeout sweep; listening already stopped.
  server.close();
  await closed;
  server.off('request', closeAfterAnswer);
  return { finished: atStart - left.length, cut: left.length, waitedMs: clock.now() - started };
}

function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.schedule(ms, resolve));
}
