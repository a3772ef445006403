/** `sluice serve`: the gateway. Until it exists, a short, real run of the core engine. */
import type { Command } from 'commander';
import { costOf } from '../../core/cost.js';
import { bucketKey, defineBucket } from '../../core/limit.js';
import { MemoryStore } from '../../stores/memory/memory-store.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the gateway')
    .option('--demo', 'use the built-in demo configuration')
    .action(runDemo);
}

async function runDemo(): Promise<void> {
  const store = new MemoryStore();
  const rpm = defineBucket(bucketKey('demo', 'requests', 'minute'), {
    dimension: 'requests',
    limit: 10,
    per: 'minute',
  });
  const tpm = defineBucket(bucketKey('demo', 'tokens', 'minute'), {
    dimension: 'tokens',
    limit: 5_000,
    per: 'minute',
  });
  console.log('Sluice demo: 10 RPM and 5,000 TPM, 10 % safety margin; 12 requests of 300 + 200 tokens');
  for (let i = 1; i <= 12; i++) {
    const decision = await store.reserve([rpm, tpm], costOf(300, 200));
    if (decision.granted && decision.reservation) {
      await store.settle(decision.reservation, { inputTokens: 300, outputTokens: 120 });
      console.log(
        `#${i} granted; remaining requests=${decision.remaining[0]} tokens=${decision.remaining[1]?.toFixed(0)}`,
      );
    } else {
      console.log(
        `#${i} refused by ${decision.limitedBy?.key} (${decision.reason}); fits in ${Math.ceil(decision.retryAfterMs)} ms`,
      );
    }
  }
}
