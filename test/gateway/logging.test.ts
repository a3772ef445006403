/**
 * What a client chooses (the model it asks for, the path) reaches the log
 * bounded and with control and bidirectional characters escaped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/gateway/config/load.js';
import { CLIENT_TEXT_MAX, clientText, createLogger } from '../../src/gateway/logging.js';
import type { Gateway } from '../../src/gateway/server.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { baseConfig, KEYS } from './helpers.js';
import { startTestGateway } from './test-gateway.js';

describe('clientText', () => {
  it('leaves ordinary model names alone', () => {
    expect(clientText('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(clientText('claude-3-5-haiku@20241022 ünïcode 模型')).toBe(
      'claude-3-5-haiku@20241022 ünïcode 模型',
    );
    expect(clientText(undefined)).toBeUndefined();
  });

  it('escapes controls, bidi overrides and isolates, zero-width and separator characters', () => {
    expect(clientText('a\u202Eb\u2066c\u200Fd\u0085e\u001bf\u2028g\uFEFF')).toBe(
      'a\\u202eb\\u2066c\\u200fd\\u0085e\\u001bf\\u2028g\\ufeff',
    );
  });

  it('cuts long values and says how long they were, never leaving half a surrogate pair', () => {
    const long = 'A'.repeat(200_000);
    expect(clientText(long)).toBe(`${'A'.repeat(CLIENT_TEXT_MAX)}…(200000 chars)`);
    const split = `${'A'.repeat(CLIENT_TEXT_MAX - 1)}😀tail`;
    expect(clientText(split)).toBe(`${'A'.repeat(CLIENT_TEXT_MAX - 1)}\\ud83d…(${split.length} chars)`);
  });
});

describe('the request line', () => {
  let sim: Simulator | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close({ timeoutMs: 1_000 });
    await sim?.close();
  });

  it('logs a 200 KB model name with a right-to-left override as a short escaped string', async () => {
    sim = await startSimulator({ response: { mode: 'lorem', tokens: 8 } });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(line) },
    });
    gateway = await startTestGateway({ config: parseConfig(baseConfig(sim.url), 'test', {}), logger });
    const model = `\u202Egpt-4o-mini${'A'.repeat(200_000)}`;
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.pro}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
    logger.flush();
    const line = lines.find((l) => l.includes('"msg":"request"'));
    expect(line).toBeDefined();
    expect(line?.length).toBeLessThan(1_000);
    expect(line).not.toContain('\u202E');
    const parsed = JSON.parse(line as string) as { group: string };
    expect(parsed.group.startsWith('\\u202egpt-4o-mini')).toBe(true);
    expect(parsed.group.endsWith(`…(${model.length} chars)`)).toBe(true);
  });
});
