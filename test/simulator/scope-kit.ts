/** A simulator `Scope` for tests: one key at T0 with continuous minutes and rolling days unless `options` say otherwise. */
import { Scope, type ScopeOptions } from '../../src/simulator/limits/scope.js';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export function testScope(
  limits: ConstructorParameters<typeof Scope>[0],
  options: Partial<ScopeOptions> = {},
): Scope {
  return new Scope(limits, {
    id: 'test',
    tokensIncludeOutput: true,
    chargeRejected: false,
    dayMode: 'rolling',
    minuteMode: 'bucket',
    sliceMs: 10_000,
    timeZone: 'UTC',
    background: [],
    now: T0,
    ...options,
  });
}
