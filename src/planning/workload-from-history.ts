/**
 * `sluice plan --from-history`: each model group's demand as the last
 * week recorded it, in the terms of a workload file. Requests per minute is
 * the p95 of the minutes the group had calls in, the calls Sluice refused
 * counted with those served (a plan must fit the busy minutes' demand, not
 * what the limits let through); tokens per request are the week's mean over
 * the calls served, with the p95 of the minutes' own means beside it.
 */
import type { History } from '../history/history-read.js';
import type { Workload } from './workload.js';

export interface RecordedWorkload extends Workload {
  /** Minutes with calls, calls served and refused in all: how much the figures rest on. */
  readonly busyMinutes: number;
  readonly requests: number;
  readonly refused: number;
}

export function workloadsFromHistory(history: History): RecordedWorkload[] {
  const perGroup = new Map<
    string,
    Map<number, { requests: number; refused: number; input: number; output: number }>
  >();
  for (const t of history.tenants) {
    const minutes = perGroup.get(t.group) ?? new Map();
    for (const m of t.minutes) {
      const seen = minutes.get(m.minute) ?? { requests: 0, refused: 0, input: 0, output: 0 };
      seen.requests += m.requests;
      seen.refused += m.refused;
      seen.input += m.inputTokens;
      seen.output += m.outputTokens;
      minutes.set(m.minute, seen);
    }
    perGroup.set(t.group, minutes);
  }
  const out: RecordedWorkload[] = [];
  for (const [group, minutes] of [...perGroup].sort(([a], [b]) => a.localeCompare(b))) {
    const busy = [...minutes.values()].filter((m) => m.requests + m.refused > 0);
    const served = busy.filter((m) => m.requests > 0);
    const requests = served.reduce((n, m) => n + m.requests, 0);
    // Without one call served there is nothing to size a request by.
    if (requests === 0) continue;
    const refused = busy.reduce((n, m) => n + m.refused, 0);
    const input = served.reduce((n, m) => n + m.input, 0);
    const output = served.reduce((n, m) => n + m.output, 0);
    out.push({
      group,
      requestsPerMinute: p95(busy.map((m) => m.requests + m.refused)),
      inputTokens: {
        mean: input / requests,
        p95: Math.max(input / requests, p95(busy.map((m) => m.input / m.requests))),
      },
      outputTokens: {
        mean: output / requests,
        p95: Math.max(output / requests, p95(served.map((m) => m.output / m.requests))),
      },
      secondsPerRequest: undefined,
      busyMinutes: busy.length,
      requests,
      refused,
    });
  }
  return out;
}

/** The nearest-rank 95th percentile. */
function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? 0;
}
