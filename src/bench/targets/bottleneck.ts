/**
 * The common recipe: the SDK behind a client-side `bottleneck` limiter
 * configured from the RPM limit only (`minTime = 60 000 / RPM`), which knows
 * nothing of tokens, priorities or tenants. Loaded on demand.
 */
import { callSdk, sdkClient } from './sdk-call.js';
import { type BenchTarget, type TargetEnv, TargetUnavailableError } from './target.js';

export async function bottleneckTarget(env: TargetEnv): Promise<BenchTarget> {
  // It sends with the first key only: that key's RPM (a scenario's summed limits would overrun it).
  const rpm = env.keys[0]?.limits.rpm;
  if (rpm === undefined) throw new TargetUnavailableError('the bottleneck recipe needs an RPM limit');
  let Bottleneck: typeof import('bottleneck').default;
  try {
    Bottleneck = (await import('bottleneck')).default;
  } catch (error) {
    throw new TargetUnavailableError('the `bottleneck` package is not installed (npm install bottleneck)', {
      cause: error,
    });
  }
  const minTime = 60_000 / rpm;
  const limiter = new Bottleneck({ minTime });
  const client = await sdkClient({ baseURL: env.providerBaseUrl, apiKey: env.apiKey });
  return {
    name: 'bottleneck',
    sendsWith: [env.apiKey],
    description: `openai SDK (defaults) inside bottleneck({ minTime: ${minTime.toFixed(1)} ms }) = ${rpm} RPM`,
    send: async (record, signal) => {
      const queuedAt = env.now();
      try {
        await limiter.schedule(() => {
          record.waits.push({ start: queuedAt, end: env.now() });
          return callSdk(client, record, { model: env.scenario.model, signal, now: env.now });
        });
      } catch {
        // Only when the limiter is stopped with the job still waiting.
        record.outcome = 'failed';
        record.reason = 'unanswered';
        record.endedAt = env.now();
      }
    },
    close: async () => {
      await limiter.stop({ dropWaitingJobs: true });
    },
  };
}
