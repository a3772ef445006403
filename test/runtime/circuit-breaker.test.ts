import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitState } from '../../src/runtime/circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, lets one probe through after the cool-down, and closes on its success', () => {
    const changes: CircuitState[] = [];
    const breaker = new CircuitBreaker({ consecutiveFailures: 3, openMs: 10_000 }, (s) => changes.push(s));
    for (let t = 0; t < 3; t++) breaker.recordFailure(t);
    expect(breaker.allows(5)).toBe(false);
    expect(breaker.retryInMs(5)).toBe(10_000 - 3);
    expect(breaker.allows(10_002)).toBe(true);
    breaker.onSend(10_002);
    expect(breaker.allows(10_003)).toBe(false); // one probe at a time
    breaker.recordSuccess(10_004);
    expect(breaker.stateAt(10_004)).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('re-opens when the probe fails', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, openMs: 1_000 });
    breaker.recordFailure(0);
    expect(breaker.stateAt(1_000)).toBe('half_open');
    breaker.onSend(1_000);
    breaker.recordFailure(1_001);
    expect(breaker.stateAt(1_500)).toBe('open');
    expect(breaker.allows(2_001)).toBe(true);
  });

  it('opens on the error rate over its window even without a failure streak', () => {
    const breaker = new CircuitBreaker({
      consecutiveFailures: 100,
      errorRate: 0.5,
      minRequests: 10,
      windowMs: 60_000,
    });
    for (let i = 0; i < 10; i++) {
      if (i % 2) breaker.recordFailure(i);
      else breaker.recordSuccess(i);
    }
    expect(breaker.stateAt(11)).toBe('open');
  });

  it('stays closed while successes dominate', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 3 });
    for (let i = 0; i < 50; i++) {
      breaker.recordFailure(i);
      breaker.recordSuccess(i);
    }
    expect(breaker.stateAt(100)).toBe('closed');
  });
});
