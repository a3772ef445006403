/**
 * `/metrics` names every tenant with its usage: it is served on a listener
 * of its own (loopback by default), optionally behind a bearer token, and
 * never on the tenant port.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/gateway/config/load.js';
import { baseConfig, hello, type Rig, type RigOptions, rigsClosedAfterEach } from './helpers.js';

const startTestRig = rigsClosedAfterEach();

async function rig(options: RigOptions = {}): Promise<Rig> {
  return startTestRig(options);
}

const TOKEN = 'metrics-token-0123456789';

describe('metrics listener', () => {
  it('does not serve /metrics on the tenant port: tenants would read each other’s usage', async () => {
    const r = await rig();
    await r.openai().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const onTenantPort = await fetch(`${r.gateway.url}/metrics`);
    expect(onTenantPort.status).toBe(404);
    const body = await onTenantPort.text();
    expect(body).not.toContain('pro-co');
    expect(body).not.toContain('sluice_');
    // In the caller's format like any unknown path (OpenAI's envelope here).
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('serves the exposition, per-tenant labels included, on its own loopback listener', async () => {
    const r = await rig();
    await r.openai().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const url = new URL(r.gateway.metricsUrl as string);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).not.toBe(String(r.gateway.port));
    expect(url.pathname).toBe('/metrics');
    const text = await (await fetch(url)).text();
    expect(text).toMatch(/sluice_requests_total\{tenant="pro-co",group="gpt-4o-mini",status="200"\} 1/);
    // Nothing but /metrics there.
    expect((await fetch(new URL('/v1/models', url))).status).toBe(404);
  });

  it('asks for the bearer token when metrics.token is set', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, { metrics: { listen: { host: '127.0.0.1', port: 0 }, token: TOKEN } }),
    });
    const url = r.gateway.metricsUrl as string;
    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="sluice-metrics"');
    expect(await without.text()).not.toContain('sluice_');
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0000000000' } })).status).toBe(
      401,
    );
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/sluice_in_flight_requests/);
  });

  it('can be turned off', async () => {
    const r = await rig({
      config: (simUrl) => baseConfig(simUrl, { metrics: { enabled: false } }),
    });
    expect(r.gateway.metricsUrl).toBeUndefined();
  });

  it('defaults to 127.0.0.1:8788 and refuses a token that is also a tenant key', () => {
    const config = parseConfig(baseConfig('http://127.0.0.1:1', { metrics: undefined }), 'test', {});
    expect(config.metrics).toEqual({ enabled: true, listen: { host: '127.0.0.1', port: 8788 } });
    expect(() =>
      parseConfig(baseConfig('http://127.0.0.1:1', { metrics: { token: 'sk-test-pro-00000' } }), 'test', {}),
    ).toThrow(/metrics\.token: the metrics token must not be a tenant key/);
  });
});
