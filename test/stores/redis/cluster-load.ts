/**
 * Load for the cluster-order slow tests: calls through `sluice serve`
 * processes by tenant key and priority class, open-loop flows and
 * closed-loop clients that stop by themselves, and the figures the tests
 * assert on (served per tenant in a window, percentiles, Jain's index).
 * No response header says how long a call waited for admission, so waits
 * are measured by the client: the simulator answers in ~10 ms.
 */
import type { GatewayProcess } from './gateway-processes.js';
import { watchdog } from './wait-for.js';

export interface Call {
  readonly tenant: string;
  readonly priority: string;
  /** Index of the gateway it went through. */
  readonly gateway: number;
  readonly sentAt: number;
  /** When its answer ended (or the watchdog gave up). */
  readonly endedAt: number;
  /** HTTP status; 0: no answer before its max wait plus 10 s (hung). */
  readonly status: number;
  readonly refusal: string | null;
}

export interface CallOptions {
  readonly tenant: string;
  readonly priority: string;
  readonly maxWaitMs: number;
}

/** The gateways' keys are `tenant-key-<tenant>`. */
export const keyOf = (tenant: string) => `tenant-key-${tenant}`;

export async function call(gateways: readonly GatewayProcess[], at: number, o: CallOptions): Promise<Call> {
  const sentAt = Date.now();
  const gateway = gateways[at] as GatewayProcess;
  const request = fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${keyOf(o.tenant)}`,
      'x-sluice-priority': o.priority,
      'x-sluice-max-wait-ms': String(o.maxWaitMs),
    },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi.' }],
      max_tokens: 5,
    }),
  }).then(async (r): Promise<Call> => {
    await r.text();
    const refusal = r.headers.get('x-sluice-refusal');
    return { ...o, gateway: at, sentAt, endedAt: Date.now(), status: r.status, refusal };
  });
  return watchdog(request, o.maxWaitMs + 10_000, 'a gateway call').catch(
    (): Call => ({ ...o, gateway: at, sentAt, endedAt: Date.now(), status: 0, refusal: null }),
  );
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Open loop: `perSecond` calls through gateway `at` from `fromMs` to `toMs`
 * after `start`, on a fixed schedule (a late timer sends the missed calls at
 * once), whatever the answers. Resolves with every call once all ended.
 */
export async function flow(
  gateways: readonly GatewayProcess[],
  at: number,
  o: CallOptions & { start: number; fromMs: number; toMs: number; perSecond: number },
): Promise<Call[]> {
  const pending: Promise<Call>[] = [];
  const count = Math.round(((o.toMs - o.fromMs) / 1_000) * o.perSecond);
  for (let i = 0; i < count; i++) {
    const due = o.start + o.fromMs + (i * 1_000) / o.perSecond;
    const wait = due - Date.now();
    if (wait > 0) await pause(wait);
    if (gateways[at]?.child.exitCode !== null || gateways[at]?.child.signalCode !== null) break;
    pending.push(call(gateways, at, o));
  }
  return Promise.all(pending);
}

/** `n` calls at once through gateway `at`. */
export function burst(
  gateways: readonly GatewayProcess[],
  at: number,
  n: number,
  o: CallOptions,
): Promise<Call[]> {
  return Promise.all(Array.from({ length: n }, () => call(gateways, at, o)));
}

/** Closed loop: `clients` callers through gateway `at`, each sending its next call when the last ended, until `until`. */
export async function closedLoop(
  gateways: readonly GatewayProcess[],
  at: number,
  o: CallOptions & { clients: number; until: number },
): Promise<Call[]> {
  const calls: Call[] = [];
  const client = async () => {
    while (Date.now() < o.until) {
      const c = await call(gateways, at, o);
      calls.push(c);
      // A refusal comes back at once: do not spin on it.
      if (c.status !== 200) await pause(50);
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  return calls;
}

/** Calls answered 200 whose answer ended in (from, to]. */
export const servedBetween = (calls: readonly Call[], from: number, to: number) =>
  calls.filter((c) => c.status === 200 && c.endedAt > from && c.endedAt <= to);

/** The q-quantile (0..1) of `xs`, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** Jain's fairness index of `xs`: 1 when all are equal, 1/n when one takes everything. */
export function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 0 : (sum * sum) / (xs.length * squares);
}

/** Count of each status, for the log line. */
export function statuses(calls: readonly Call[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) {
    const k = c.refusal ? `${c.status}:${c.refusal}` : String(c.status);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
