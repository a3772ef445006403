/**
 * The page's DOM-free logic, run in Node: how it reads the live stream
 * (with a stubbed `fetch`), the series it accumulates, and how it formats
 * numbers.
 */
import { describe, expect, it, vi } from 'vitest';
import { EventStreamClient, type StreamEvent } from '../../src/dashboard/client/event-stream.js';
import {
  axisMs,
  compact,
  count,
  duration,
  fromNow,
  limitName,
  percent,
  usd,
  wait,
} from '../../src/dashboard/client/format.js';
import { SeriesBuffer } from '../../src/dashboard/client/series-buffer.js';
import type { Series } from '../../src/dashboard/wire.js';

/** Runs the client against a fetch that answers `chunks`, until the stream ends and it plans a reconnect. */
async function runClient(chunks: readonly string[]): Promise<{ events: StreamEvent[]; states: string[] }> {
  const encoder = new TextEncoder();
  vi.stubGlobal('fetch', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  });
  const events: StreamEvent[] = [];
  const states: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const client = new EventStreamClient('http://gateway.test/admin/v1/stream', 'key', {
        onEvent: (event) => events.push(event),
        onState(state, detail) {
          states.push(detail === undefined ? state : `${state}: ${detail}`);
          if (detail !== undefined) {
            client.stop();
            resolve();
          }
        },
        onRefused: (status) => reject(new Error(`refused ${status}`)),
      });
      client.start();
    });
  } finally {
    vi.unstubAllGlobals();
  }
  return { events, states };
}

describe('EventStreamClient', () => {
  const text =
    'retry: 3000\r\n\r\n: keep-alive\n\nevent: snapshot\ndata: {"a":\ndata: 1}\n\ndata: x\n\nevent: bye\r\ndata: {}\r\n\r\n';

  it('hands over events by name, split anywhere, and waits the reconnection delay the stream asked for', async () => {
    for (let cut = 0; cut <= text.length; cut++) {
      const { events, states } = await runClient([text.slice(0, cut), text.slice(cut)]);
      expect(events).toEqual([
        { event: 'snapshot', data: '{"a":\n1}' },
        { event: 'message', data: 'x' },
        { event: 'bye', data: '{}' },
      ]);
      // The snapshot made it live; `retry: 3000` beats the first backoff step (1 s).
      expect(states).toEqual([
        'connecting',
        'live',
        'reconnecting: the gateway is shutting down; retrying in 3 s',
      ]);
    }
  });

  it('falls back to its own backoff when the stream names no delay', async () => {
    const { states } = await runClient(['event: snapshot\ndata: {}\n\n']);
    expect(states.at(-1)).toBe('reconnecting: the connection closed; retrying in 1 s');
  });
});

function series(t: number[], extra: Partial<Series> = {}): Series {
  const line = t.map((_, i) => i);
  return {
    resolutionMs: 1_000,
    smoothingMs: 10_000,
    countWindowMs: 60_000,
    deployments: {},
    t,
    requests: line,
    inputTokens: line,
    outputTokens: line,
    cacheReadTokens: line,
    limits: { requests: line, inputTokens: line, outputTokens: line, tokens: line },
    queue: { normal: line },
    waitP50Ms: { normal: line },
    waitP99Ms: { normal: line },
    upstream429: line,
    refusals: {},
    ...extra,
  };
}

describe('SeriesBuffer', () => {
  it('replaces, appends only new points, back-fills a new refusal code and trims to the window', () => {
    const buffer = new SeriesBuffer();
    buffer.apply('replace', series([1_000, 2_000, 3_000]), 3_500, 60_000);
    buffer.apply('append', series([3_000, 4_000], { refusals: { queue_full: [5, 6] } }), 4_500, 60_000);
    let data = buffer.apply('append', series([5_000]), 5_500, 60_000);
    expect(data.t).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(data.requests).toEqual([0, 1, 2, 1, 0]);
    expect(data.refusals.queue_full).toEqual([0, 0, 0, 6, 0]);
    expect(data.queue.normal).toHaveLength(5);
    data = buffer.apply('append', series([]), 62_500, 60_000);
    expect(data.t).toEqual([3_000, 4_000, 5_000]);
    expect(data.refusals.queue_full).toEqual([0, 6, 0]);
    expect(data.limits.tokens).toHaveLength(3);
  });
});

describe('format', () => {
  it('reads like a person would say it', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(compact(950)).toBe('950');
    expect(compact(1_234)).toBe('1.2k');
    expect(compact(40_000)).toBe('40k');
    expect(compact(2_500_000)).toBe('2.5M');
    expect(compact(999_950)).toBe('1M');
    expect(compact(-1_500)).toBe('-1.5k');
    expect(axisMs(0.5)).toBe('0.5 ms');
    expect(axisMs(250)).toBe('250 ms');
    expect(axisMs(2_000)).toBe('2 s');
    expect(percent(0.634)).toBe('63 %');
    expect(duration(0)).toBe('0 s');
    expect(duration(350)).toBe('350 ms');
    expect(duration(4_200)).toBe('4.2 s');
    expect(duration(200_000)).toBe('3 m 20 s');
    expect(duration(7_500_000)).toBe('2 h 5 m');
    expect(fromNow(null)).toBe('—');
    expect(fromNow(0)).toBe('now');
    expect(fromNow(162_500)).toBe('in 2 m 43 s');
    expect(wait(null)).toBe('—');
    expect(wait(0)).toBe('0 ms');
    expect(limitName('input_tokens', 'minute')).toBe('input tokens / min');
    expect(limitName('concurrency', null)).toBe('concurrency');
    expect(usd(0)).toBe('$0');
    expect(usd(0.004213)).toBe('$0.0042');
    expect(usd(1234.5)).toBe('$1,234.50');
  });
});
