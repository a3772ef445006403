import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type CircuitAttempt, CircuitBreaker, type CircuitState } from '../../src/runtime/circuit-breaker.js';
import type { Call, Transport, UpstreamReply } from '../../src/runtime/exchange/call.js';
import { Governor } from '../../src/runtime/governor.js';
import type { UpstreamTarget } from '../../src/runtime/upstream-target.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';

/** Sends an attempt at `now` and expects the circuit to let it go. */
function send(breaker: CircuitBreaker, now: number): CircuitAttempt {
  const attempt = breaker.onSend(now);
  if (!attempt) throw new Error(`the circuit refused a send at ${now}`);
  return attempt;
}

function failTimes(breaker: CircuitBreaker, n: number, now: number): void {
  for (let i = 0; i < n; i++) breaker.recordFailure(send(breaker, now), now);
}

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, lets one probe through after the cool-down, and closes on its success', () => {
    const changes: CircuitState[] = [];
    const breaker = new CircuitBreaker({ consecutiveFailures: 3, openMs: 10_000, firstOpenMs: 10_000 }, (s) =>
      changes.push(s),
    );
    for (let t = 0; t < 3; t++) breaker.recordFailure(send(breaker, t), t);
    expect(breaker.allows(5)).toBe(false);
    expect(breaker.onSend(5)).toBeUndefined();
    expect(breaker.retryInMs(5)).toBe(10_000 - 3);
    expect(breaker.allows(10_002)).toBe(true);
    const probe = send(breaker, 10_002);
    expect(probe.probe).toBe(true);
    expect(breaker.allows(10_003)).toBe(false); // one probe at a time
    breaker.recordSuccess(probe, 10_004);
    expect(breaker.stateAt(10_004)).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('does not flap when results of attempts sent before the opening arrive after it', () => {
    // Ten calls leave at once; their answers come back interleaved within a second.
    const changes: CircuitState[] = [];
    const breaker = new CircuitBreaker({ consecutiveFailures: 3, openMs: 30_000 }, (s) => changes.push(s));
    const inFlight = Array.from({ length: 10 }, () => send(breaker, 0));
    const results = ['fail', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail', 'ok', 'fail', 'ok'] as const;
    results.forEach((result, i) => {
      const at = 100 * (i + 1);
      const attempt = inFlight[i] as CircuitAttempt;
      if (result === 'ok') breaker.recordSuccess(attempt, at);
      else breaker.recordFailure(attempt, at);
    });
    expect(changes).toEqual(['open']);
    expect(breaker.stateAt(1_000)).toBe('open');
  });

  it('ignores a late success from an attempt sent before the opening, also while half-open', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, openMs: 1_000, firstOpenMs: 1_000 });
    const early = send(breaker, 0);
    failTimes(breaker, 2, 10);
    expect(breaker.stateAt(1_010)).toBe('half_open');
    const probe = send(breaker, 1_010);
    breaker.recordSuccess(early, 1_020);
    expect(breaker.stateAt(1_020)).toBe('half_open');
    expect(breaker.allows(1_020)).toBe(false); // the probe is still out
    breaker.recordSuccess(probe, 1_030);
    expect(breaker.stateAt(1_030)).toBe('closed');
  });

  it('does not count a late failure from before a closing against the closed circuit', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 2, openMs: 1_000, firstOpenMs: 1_000 });
    const early = [send(breaker, 0), send(breaker, 0)];
    failTimes(breaker, 2, 10);
    breaker.recordSuccess(send(breaker, 1_010), 1_020);
    expect(breaker.stateAt(1_020)).toBe('closed');
    for (const attempt of early) breaker.recordFailure(attempt, 1_030);
    expect(breaker.stateAt(1_030)).toBe('closed');
  });

  it('sends a single probe from half-open: its failure reopens, a 429 or an abandoned probe frees the slot', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, openMs: 1_000, firstOpenMs: 1_000 });
    failTimes(breaker, 1, 0);
    expect(breaker.stateAt(1_000)).toBe('half_open');
    const probe = send(breaker, 1_000);
    expect(breaker.onSend(1_000)).toBeUndefined();
    breaker.release(probe); // rate limited: says nothing about health
    expect(breaker.stateAt(1_001)).toBe('half_open');
    const second = send(breaker, 1_001);
    expect(second.probe).toBe(true);
    expect(breaker.onSend(1_001)).toBeUndefined();
    breaker.recordFailure(second, 1_002);
    expect(breaker.stateAt(1_500)).toBe('open');
    expect(breaker.allows(1_500)).toBe(false);
  });

  it('opens briefly at first and doubles the open time on each consecutive re-opening, up to open_ms', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 1, firstOpenMs: 1_000, openMs: 8_000 });
    let now = 0;
    failTimes(breaker, 1, now);
    const openings: number[] = [];
    for (let i = 0; i < 5; i++) {
      openings.push(breaker.retryInMs(now));
      now += breaker.retryInMs(now);
      expect(breaker.stateAt(now)).toBe('half_open');
      breaker.recordFailure(send(breaker, now), now); // the probe fails
    }
    expect(openings).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    // A successful probe closes it; failing again soon after continues where it was …
    now += breaker.retryInMs(now);
    breaker.recordSuccess(send(breaker, now), now);
    failTimes(breaker, 1, now + 100);
    expect(breaker.retryInMs(now + 100)).toBe(8_000);
    // … while after a healthy spell of open_ms a new burst starts short again.
    now += 100 + 8_000;
    breaker.recordSuccess(send(breaker, now), now);
    now += 8_000;
    failTimes(breaker, 1, now);
    expect(breaker.retryInMs(now)).toBe(1_000);
  });

  it('defaults to a first opening of 5 s that grows to open_ms (30 s)', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 5, 0);
    expect(breaker.retryInMs(0)).toBe(5_000);
    breaker.recordFailure(send(breaker, 5_000), 5_000);
    expect(breaker.retryInMs(5_000)).toBe(10_000);
  });

  it('trips on the error rate only once the window holds min_requests results', () => {
    const breaker = new CircuitBreaker({
      consecutiveFailures: 100,
      errorRate: 0.5,
      minRequests: 10,
      windowMs: 60_000,
    });
    // Nine results, all failures: too few to judge by rate (a streak limit does that).
    failTimes(breaker, 9, 0);
    expect(breaker.stateAt(1)).toBe('closed');
    failTimes(breaker, 1, 2);
    expect(breaker.stateAt(2)).toBe('open');
  });

  it('opens on the error rate over its window even without a failure streak', () => {
    const breaker = new CircuitBreaker({
      consecutiveFailures: 100,
      errorRate: 0.5,
      minRequests: 10,
      windowMs: 60_000,
    });
    for (let i = 0; i < 10; i++) {
      const attempt = send(breaker, i);
      if (i % 2) breaker.recordFailure(attempt, i);
      else breaker.recordSuccess(attempt, i);
    }
    expect(breaker.stateAt(11)).toBe('open');
  });

  it('starts the error rate over in each window', () => {
    const breaker = new CircuitBreaker({
      consecutiveFailures: 100,
      errorRate: 0.5,
      minRequests: 10,
      windowMs: 1_000,
    });
    failTimes(breaker, 6, 0);
    for (let i = 0; i < 6; i++) breaker.recordSuccess(send(breaker, 1_000), 1_000);
    failTimes(breaker, 3, 1_001);
    expect(breaker.stateAt(1_001)).toBe('closed'); // 3 of 9 in this window
  });

  it('stays closed while successes dominate', () => {
    const breaker = new CircuitBreaker({ consecutiveFailures: 3 });
    for (let i = 0; i < 50; i++) {
      breaker.recordFailure(send(breaker, i), i);
      breaker.recordFailure(send(breaker, i), i);
      for (let j = 0; j < 3; j++) breaker.recordSuccess(send(breaker, i), i);
    }
    expect(breaker.stateAt(100)).toBe('closed');
  });
});

/** A transport whose attempts stay pending until the test answers them, in any order. */
class HeldTransport implements Transport<UpstreamReply> {
  private readonly pending: ((status: number) => void)[] = [];
  sent = 0;

  send(_target: UpstreamTarget): Promise<UpstreamReply> {
    this.sent++;
    return new Promise((resolve) => {
      this.pending.push((status) =>
        resolve({
          status,
          headers: new Headers(status === 429 ? { 'retry-after': '1' } : {}),
          text: async () => '',
          discard: () => {},
          abort: () => {},
        }),
      );
    });
  }

  /** Answers the oldest attempt still pending. */
  answer(status: number): void {
    this.pending.shift()?.(status);
  }
}

function chat(): Call {
  const body = { model: 'g', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };
  return {
    id: 'req-1',
    model: 'g',
    tenant: 'default',
    family: 'openai',
    endpoint: 'chat_completions',
    method: 'POST',
    path: '/v1/chat/completions',
    body,
    rawBody: JSON.stringify(body),
    stream: false,
    forwardHeaders: {},
    forwarding: 'allow-list',
  };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function governorWithOneDeployment(clock: ManualClock): Governor {
  return new Governor({
    clock,
    store: new MemoryStore({ clock }),
    modelGroups: {
      g: { deployments: [{ id: 'd', provider: 'openai', baseUrl: 'http://upstream.test/v1', model: 'm' }] },
    },
    retry: { maxAttempts: 1 },
    circuit: { consecutiveFailures: 3, openMs: 30_000 },
  });
}

describe('the governor and the circuit breaker', () => {
  it('keeps a circuit open when an attempt sent before the opening succeeds late, and probes once', async () => {
    const clock = new ManualClock();
    const governor = governorWithOneDeployment(clock);
    const transport = new HeldTransport();
    const burst = Array.from({ length: 4 }, () => governor.execute(chat(), transport));
    await flush();
    expect(transport.sent).toBe(4);
    for (let i = 0; i < 3; i++) transport.answer(500);
    await flush();
    const circuit = governor.groups.deployment('d')?.circuit;
    expect(circuit?.stateAt(clock.now())).toBe('open');
    // The fourth attempt left before the circuit opened: its success says nothing about now.
    transport.answer(200);
    const outcomes = await Promise.all(burst);
    expect(outcomes.map((o) => o.kind)).toEqual([
      'upstream_error',
      'upstream_error',
      'upstream_error',
      'success',
    ]);
    expect(circuit?.stateAt(clock.now())).toBe('open');
    clock.advance(100);
    const refused = await governor.execute(chat(), transport);
    expect(refused.kind === 'refused' && refused.refusal.code).toBe('circuit_open');
    expect(transport.sent).toBe(4);

    // After the first (short) opening, one probe goes; the calls beside it are not sent.
    clock.advance(5_000);
    const probeAndOthers = Array.from({ length: 3 }, () => governor.execute(chat(), transport));
    await flush();
    expect(transport.sent).toBe(5);
    transport.answer(200);
    const after = await Promise.all(probeAndOthers);
    expect(after.map((o) => (o.kind === 'refused' ? o.refusal.code : o.kind)).sort()).toEqual([
      'circuit_open',
      'circuit_open',
      'success',
    ]);
    expect(circuit?.stateAt(clock.now())).toBe('closed');
  });

  it('does not count 429s as circuit failures', async () => {
    const clock = new ManualClock();
    const governor = governorWithOneDeployment(clock);
    const transport = new HeldTransport();
    const calls = Array.from({ length: 5 }, () => governor.execute(chat(), transport));
    await flush();
    for (let i = 0; i < 5; i++) transport.answer(429);
    await Promise.all(calls);
    expect(governor.groups.deployment('d')?.circuit.stateAt(clock.now())).toBe('closed');
  });
});
