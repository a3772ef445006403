/**
 * The circuit of a key that cannot serve (circuit-breaker.ts): one such
 * answer opens it at once, probes double up to a ceiling, a provider's later
 * reset wins over the probe, and a success closes it and starts over.
 */
import { describe, expect, it } from 'vitest';
import {
  type CircuitAttempt,
  CircuitBreaker,
  type CircuitState,
  type KeyOutage,
} from '../../src/runtime/circuit-breaker.js';

const OUT: KeyOutage = { reason: 'quota' };

function send(breaker: CircuitBreaker, now: number): CircuitAttempt {
  const attempt = breaker.onSend(now);
  if (!attempt) throw new Error(`the circuit refused a send at ${now}`);
  return attempt;
}

describe('CircuitBreaker: keys that cannot serve', () => {
  it('opens at the first such answer; answers of the same burst are stale and count once', () => {
    const changes: CircuitState[] = [];
    const breaker = new CircuitBreaker({ consecutiveFailures: 5 }, (s) => changes.push(s));
    const burst = [send(breaker, 0), send(breaker, 0), send(breaker, 0)];
    expect(breaker.recordCannotServe(burst[0] as CircuitAttempt, 10, OUT)).toBe(true);
    expect(breaker.recordCannotServe(burst[1] as CircuitAttempt, 11, OUT)).toBe(false);
    breaker.recordSuccess(burst[2] as CircuitAttempt, 12);
    expect(changes).toEqual(['open']);
    expect(breaker.allows(12)).toBe(false);
    expect(breaker.retryInMs(10)).toBe(60_000);
  });

  it('probes one call at a time, doubling the interval up to the ceiling; a success closes and starts over', () => {
    const breaker = new CircuitBreaker({ deadKeyProbeMs: 1_000, deadKeyProbeMaxMs: 4_000 });
    let now = 0;
    breaker.recordCannotServe(send(breaker, now), now, OUT);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const wait = breaker.retryInMs(now);
      waits.push(wait);
      now += wait;
      const probe = send(breaker, now);
      expect(probe.probe).toBe(true);
      expect(breaker.onSend(now), 'a second probe at once').toBeUndefined();
      breaker.recordCannotServe(probe, now, OUT);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
    now += breaker.retryInMs(now);
    breaker.recordSuccess(send(breaker, now), now);
    expect(breaker.stateAt(now)).toBe('closed');
    breaker.recordCannotServe(send(breaker, now), now, OUT);
    expect(breaker.retryInMs(now)).toBe(1_000);
  });

  it('waits for the provider’s reset when it is later than the probe, and keeps the longer of two outages', () => {
    const breaker = new CircuitBreaker({ deadKeyProbeMs: 1_000 });
    breaker.recordCannotServe(send(breaker, 0), 0, { reason: 'quota', resumeAt: 3_600_000 });
    expect(breaker.retryInMs(0)).toBe(3_600_000);
    // Another deployment's outage naming a shorter wait does not shorten it.
    breaker.shutOut(10, OUT);
    expect(breaker.retryInMs(10)).toBe(3_600_000 - 10);
    // A reset sooner than the probe interval is floored at the probe interval.
    const other = new CircuitBreaker({ deadKeyProbeMs: 60_000 });
    other.recordCannotServe(send(other, 0), 0, { reason: 'quota', resumeAt: 500 });
    expect(other.retryInMs(0)).toBe(60_000);
  });

  it('says why it is out while a key cannot serve, and not once it closes or opens for faults', () => {
    const breaker = new CircuitBreaker({ deadKeyProbeMs: 1_000, consecutiveFailures: 1, firstOpenMs: 1_000 });
    breaker.recordCannotServe(send(breaker, 0), 0, { reason: 'credentials' });
    expect(breaker.outageAt(0)).toBe('credentials');
    expect(breaker.outageAt(1_000)).toBe('credentials'); // half-open, its probe not answered yet
    breaker.recordFailure(send(breaker, 1_000), 1_000); // the probe met a 500: open for faults now
    expect(breaker.outageAt(1_001)).toBeUndefined();
    breaker.recordSuccess(send(breaker, 3_000), 3_000);
    expect(breaker.outageAt(3_000)).toBeUndefined();
  });

  it('a shut-out during a probe makes that probe stale and frees its slot for the next one', () => {
    const breaker = new CircuitBreaker({ deadKeyProbeMs: 1_000, deadKeyProbeMaxMs: 1_000 });
    breaker.recordCannotServe(send(breaker, 0), 0, OUT);
    const probe = send(breaker, 1_000);
    breaker.shutOut(1_000, OUT);
    breaker.recordSuccess(probe, 1_001);
    expect(breaker.stateAt(1_001)).toBe('open');
    expect(send(breaker, 2_000).probe).toBe(true);
  });
});
