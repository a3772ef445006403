/**
 * A throw while rendering an answer ends that call, never the process: with
 * latency set, rendering runs from a timer, where an uncaught throw would
 * take the whole simulator down.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Delivery, deliver } from '../../src/simulator/delivery.js';
import type { Call, StreamFrames } from '../../src/simulator/flavour.js';
import { NO_CACHE } from '../../src/simulator/flavour.js';

function fakeResponse() {
  const res = Object.assign(new EventEmitter(), {
    headersSent: false,
    destroyed: false,
    written: '',
    writeHead() {
      res.headersSent = true;
      return res;
    },
    write(chunk: string) {
      res.written += chunk;
      return true;
    },
    end(chunk?: string) {
      res.written += chunk ?? '';
      return res;
    },
  });
  return res;
}

const failing = (): never => {
  throw new RangeError('Maximum call stack size exceeded');
};

function call(stream: boolean): Call {
  const frames: StreamFrames = {
    contentType: 'text/event-stream',
    start: () => '',
    piece: failing,
    end: failing,
    error: () => '',
    corrupt: failing,
  };
  return {
    endpoint: 'chat',
    model: 'gpt-4o',
    scopeModel: 'gpt-4o',
    stream,
    cost: undefined,
    input: { tokens: 1, ...NO_CACHE },
    maxOutput: 4,
    choices: 1,
    echo: '',
    generates: true,
    render: { body: failing, stream: () => frames },
  };
}

describe('delivery', () => {
  it.each([
    ['whole', false, { ttftMs: 50, perTokenMs: 0 }],
    ['streamed', true, { ttftMs: 50, perTokenMs: 5 }],
    ['whole, at once', false, { ttftMs: 0, perTokenMs: 0 }],
  ])('%s: a render that throws ends the call and reports the failure', (_name, stream, timing) => {
    const clock = new ManualClock();
    const res = fakeResponse();
    const failures: unknown[] = [];
    const ends: boolean[] = [];
    const d: Delivery = {
      res: res as unknown as ServerResponse,
      call: call(stream),
      ids: { requestId: 'req_1', created: 0, ordinal: 1 },
      answer: { pieces: ['a', 'b'], text: 'ab', finish: 'stop' },
      headers: {},
      timing,
      lease: undefined,
      fault: undefined,
      clock,
      serverError: () => ({ status: 500, headers: {}, body: '{}' }),
      done: (completed) => ends.push(completed),
      fail: (error) => failures.push(error),
    };
    expect(() => {
      deliver(d);
      clock.advance(1_000);
    }).not.toThrow();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(RangeError);
    expect(ends).toEqual([false]);
  });
});
