/**
 * `HotCounter` and `HotHistogram` answer prom-client's internal `get()`
 * shape, not a public API: this pins the exposition text they produce
 * through a prom-client `Registry` (HELP/TYPE lines, label escaping, buckets
 * up to `+Inf`, `_sum`, `_count`), and checks it is what prom-client's own
 * `Counter` and `Histogram` write for the same updates (but for where `le`
 * sits among the labels).
 * A prom-client upgrade that changes the shape fails here, not on `/metrics`.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter, HotHistogram } from '../../src/gateway/hot-metrics.js';

/** A label value with everything the exposition format escapes: backslash, quote, newline. */
const AWKWARD = 'a\\b"c\nd';

/** The counter and histogram every case writes, registered on `registry`. */
function testMetrics(registry: Registry): { requests: HotCounter; latency: HotHistogram } {
  return {
    requests: new HotCounter(
      'test_requests_total',
      'Requests by tenant and status.\nSecond line with a \\ backslash.',
      ['tenant', 'status'],
      registry,
    ),
    latency: new HotHistogram('test_latency_seconds', 'Latency.', ['deployment'], [0.1, 1, 10], registry),
  };
}

function hotRegistry(): Registry {
  const registry = new Registry();
  const { requests, latency } = testMetrics(registry);
  requests.inc(['acme', '200']);
  requests.inc(['acme', '200'], 2);
  requests.inc([AWKWARD, '429']);
  latency.observe(['d1'], 0.05);
  latency.observe(['d1'], 0.5);
  latency.observe(['d1'], 0.5);
  latency.observe(['d1'], 60);
  latency.observe([AWKWARD], 1);
  return registry;
}

/** The same metrics and updates through prom-client's own classes. */
function promClientRegistry(): Registry {
  const registry = new Registry();
  const requests = new Counter({
    name: 'test_requests_total',
    help: 'Requests by tenant and status.\nSecond line with a \\ backslash.',
    labelNames: ['tenant', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'test_latency_seconds',
    help: 'Latency.',
    labelNames: ['deployment'],
    buckets: [0.1, 1, 10],
    registers: [registry],
  });
  requests.inc({ tenant: 'acme', status: '200' });
  requests.inc({ tenant: 'acme', status: '200' }, 2);
  requests.inc({ tenant: AWKWARD, status: '429' });
  latency.observe({ deployment: 'd1' }, 0.05);
  latency.observe({ deployment: 'd1' }, 0.5);
  latency.observe({ deployment: 'd1' }, 0.5);
  latency.observe({ deployment: 'd1' }, 60);
  latency.observe({ deployment: AWKWARD }, 1);
  return registry;
}

const EXPECTED = `# HELP test_requests_total Requests by tenant and status.\\nSecond line with a \\\\ backslash.
# TYPE test_requests_total counter
test_requests_total{tenant="acme",status="200"} 3
test_requests_total{tenant="a\\\\b\\"c\\nd",status="429"} 1

# HELP test_latency_seconds Latency.
# TYPE test_latency_seconds histogram
test_latency_seconds_bucket{deployment="d1",le="0.1"} 1
test_latency_seconds_bucket{deployment="d1",le="1"} 3
test_latency_seconds_bucket{deployment="d1",le="10"} 3
test_latency_seconds_bucket{deployment="d1",le="+Inf"} 4
test_latency_seconds_sum{deployment="d1"} 61.05
test_latency_seconds_count{deployment="d1"} 4
test_latency_seconds_bucket{deployment="a\\\\b\\"c\\nd",le="0.1"} 0
test_latency_seconds_bucket{deployment="a\\\\b\\"c\\nd",le="1"} 1
test_latency_seconds_bucket{deployment="a\\\\b\\"c\\nd",le="10"} 1
test_latency_seconds_bucket{deployment="a\\\\b\\"c\\nd",le="+Inf"} 1
test_latency_seconds_sum{deployment="a\\\\b\\"c\\nd"} 1
test_latency_seconds_count{deployment="a\\\\b\\"c\\nd"} 1
`;

describe('hot metrics through a prom-client Registry', () => {
  it('write the exposition text pinned here', async () => {
    expect(await hotRegistry().metrics()).toBe(EXPECTED);
  });

  it("write what prom-client's own Counter and Histogram write, but for where `le` sits", async () => {
    // prom-client writes `le` first; ours comes last (label order means nothing to Prometheus,
    // and dashboards and tests already match the gateway's order).
    const own = (await promClientRegistry().metrics()).replace(/\{(le="[^"]*"),(.*)\} /g, '{$2,$1} ');
    expect(await hotRegistry().metrics()).toBe(own);
  });

  it('expose nothing for a metric not yet updated, as prom-client does for a labelled metric', async () => {
    const hot = new Registry();
    new HotCounter('test_idle_total', 'Idle.', ['tenant'], hot);
    const own = new Registry();
    new Counter({ name: 'test_idle_total', help: 'Idle.', labelNames: ['tenant'], registers: [own] });
    expect(await hot.metrics()).toBe('# HELP test_idle_total Idle.\n# TYPE test_idle_total counter\n');
    expect(await hot.metrics()).toBe(await own.metrics());
  });

  it('write the same text through kept children, and a declared series at 0', async () => {
    const registry = new Registry();
    const { requests, latency } = testMetrics(registry);
    const acme = requests.child(['acme', '200']);
    acme.value += 1;
    acme.value += 2;
    requests.child([AWKWARD, '429']).value += 1;
    const d1 = latency.child(['d1']);
    for (const v of [0.05, 0.5, 0.5, 60]) d1.observe(v);
    latency.child([AWKWARD]).observe(1);
    expect(await registry.metrics()).toBe(EXPECTED);
    requests.declare(['idle-co', '200']);
    expect(await registry.metrics()).toContain('test_requests_total{tenant="idle-co",status="200"} 0\n');
  });
});
