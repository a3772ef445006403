/**
 * Timeouts kept by the operating system's sockets and HTTP stacks, not by
 * the governor's clock: undici's headers timeout on an upstream that never
 * answers, and Node's request timeout on a client that stops sending its
 * body.
 *
 * Real time on purpose (slow suite): these timers belong to undici and
 * `node:http`, which a manual clock cannot move. The bounds under test are
 * 200–300 ms; the assertions are on the outcome (502, 408), never on how
 * long it took, and vitest's 30 s test timeout is the only other bound.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { baseConfig, hello, KEYS, type Rig, type RigOptions, rigsClosedAfterEach } from './helpers.js';

const startTestRig = rigsClosedAfterEach();

async function rig(options: RigOptions): Promise<Rig> {
  return startTestRig(options);
}

type Result = { ok: true } | { ok: false; status: number | undefined };

async function chat(client: OpenAI): Promise<Result> {
  try {
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20 });
    return { ok: true };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { ok: false, status: error.status };
  }
}

describe('timeouts of the sockets and HTTP stacks', () => {
  it('gives up on an upstream that never answers, after its headers timeout', async () => {
    const r = await rig({
      sim: { faults: [{ kind: 'timeout', rate: 1 }] },
      config: (simUrl) =>
        baseConfig(simUrl, { upstream: { headers_timeout_ms: 200 }, retry: { max_attempts: 1 } }),
    });
    const result = await chat(r.openai());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.status).toBe(502);
    expect(r.logs.findLast((l) => l.msg === 'request')).toMatchObject({
      status: 502,
      upstream_error: 'network',
    });
    expect((await r.gateway.governor.store.stats()).active).toBe(0);
  });

  it('drops a client that stops sending its request body', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, { server: { headers_timeout_ms: 200, request_timeout_ms: 300 } }),
    });
    const { connect } = await import('node:net');
    const url = new URL(r.gateway.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEYS.pro}\r\ncontent-length: 1000\r\n\r\n{"model":`,
        );
      });
      let text = '';
      socket.on('data', (d) => {
        text += String(d);
      });
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(r.sim.stats().requests).toBe(0);
  });
});
