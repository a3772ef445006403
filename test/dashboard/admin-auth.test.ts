/**
 * Wrong admin keys on a real gateway: throttled per source address (10, then
 * one a second, 429 with Retry-After), counted in
 * `sluice_admin_auth_failures_total`, logged without flooding.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { baseConfig, type Rig, rigsClosedAfterEach } from '../gateway/helpers.js';

const ADMIN_KEY = 'admin-key-0123456789abcdef';

const startTestRig = rigsClosedAfterEach();

async function rig(): Promise<Rig> {
  return startTestRig({ config: (simUrl) => baseConfig(simUrl, { admin: { key: ADMIN_KEY } }) });
}

/** GET /admin/v1/state with `key`, from `localAddress` (any 127.x address is loopback on Linux). */
function state(
  url: string,
  key: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/admin/v1/state`,
      { headers: { authorization: `Bearer ${key}` }, localAddress, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('wrong admin keys', () => {
  it('are throttled per source after 10, counted, and logged without a flood', async () => {
    const r = await rig();
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const answer = await state(r.gateway.url, `wrong-admin-key-${String(i).padStart(6, '0')}`);
      statuses.push(answer.status);
      if (answer.status === 429) {
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'too_many_attempts' } });
      }
    }
    const wrong = statuses.filter((s) => s === 401).length;
    // 10 at once, then one a second: however slow this machine, far fewer than 200.
    expect(statuses.slice(0, 10)).toEqual(new Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    expect(wrong).toBeLessThan(20);
    // While throttled, even the right key is not looked at.
    expect((await state(r.gateway.url, ADMIN_KEY)).status).toBe(429);
    // Another address is not throttled.
    expect((await state(r.gateway.url, ADMIN_KEY, '127.0.0.2')).status).toBe(200);

    const text = await (await fetch(r.gateway.metricsUrl as string)).text();
    expect(text).toMatch(new RegExp(`sluice_admin_auth_failures_total\\{outcome="wrong_key"\\} ${wrong}\\n`));
    expect(text).toMatch(
      new RegExp(`sluice_admin_auth_failures_total\\{outcome="throttled"\\} ${200 - wrong + 1}\\n`),
    );

    const lines = r.logs.filter((l) => l.msg === 'admin API: wrong admin key');
    expect(lines[0]).toMatchObject({ source: '127.0.0.1', wrong_keys: 1, throttled: 0, level: 'warn' });
    // At most one line a second (the test takes well under 200 s), and no key in any of them.
    expect(lines.length).toBeLessThan(20);
    expect(JSON.stringify(r.logs)).not.toContain('wrong-admin-key-');
  });
});
