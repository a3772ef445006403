/**
 * Hot-metrics section: nanoseconds per update of a labelled counter and
 * histogram on the request path, with the gateway's `HotCounter` /
 * `HotHistogram` (a map lookup and an add, exposed through prom-client's
 * internal `get()` shape) beside prom-client's public API in the same run:
 * `inc(labels)` / `observe(labels)`, a cached `labels(...)` child, and, for
 * the counter, a prom-client `Counter` whose documented `collect()` copies
 * plain numbers into it at scrape time (the hot path is then the same map
 * lookup and add; the cost moves to the scrape, measured too).
 * Label values as the gateway's `sluice_requests_total` has them: 3 labels,
 * 20 combinations. Median of 7 samples of ~40 ms each.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../../src/gateway/hot-metrics.js';
import { median, printTable, type Row, writeResults } from '../lib/report.js';

const SAMPLES = 7;
const SAMPLE_MS = 40;
const LABELS = ['tenant', 'group', 'status'] as const;
const COMBINATIONS: readonly (readonly [string, string, string])[] = Array.from(
  { length: 20 },
  (_, i) => [`tenant-${i % 5}`, `group-${i % 2}`, i % 7 === 0 ? '429' : '200'] as const,
);
const BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Nanoseconds per call of `update(i)`, median of SAMPLES. */
async function nanoseconds(update: (i: number) => void): Promise<number> {
  return median(SAMPLES, () => {
    let calls = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < SAMPLE_MS) {
      for (let i = 0; i < 1_000; i++) update(calls + i);
      calls += 1_000;
      elapsed = performance.now() - started;
    }
    return (elapsed * 1e6) / calls;
  });
}

/** Microseconds per `registry.metrics()`. */
async function scrapeMicroseconds(registry: Registry): Promise<number> {
  return median(SAMPLES, async () => {
    const started = performance.now();
    for (let i = 0; i < 100; i++) await registry.metrics();
    return ((performance.now() - started) * 1_000) / 100;
  });
}

const combination = (i: number) => COMBINATIONS[i % COMBINATIONS.length] as readonly [string, string, string];
const labelObject = (i: number) => {
  const [tenant, group, status] = combination(i);
  return { tenant, group, status };
};
const latency = (i: number) => ((i * 7919) % 1000) / 100;

function counterCases(): { name: string; registry: Registry; update: (i: number) => void }[] {
  const hotRegistry = new Registry();
  const hot = new HotCounter('c_total', 'c', LABELS, hotRegistry);

  const plainRegistry = new Registry();
  const plain = new Counter({ name: 'c_total', help: 'c', labelNames: LABELS, registers: [plainRegistry] });
  const objects = COMBINATIONS.map((_, i) => labelObject(i));

  const childRegistry = new Registry();
  const withChildren = new Counter({
    name: 'c_total',
    help: 'c',
    labelNames: LABELS,
    registers: [childRegistry],
  });
  const child = cachedChildren((values) => withChildren.labels(...values));

  // Public API only: plain numbers on the hot path, copied in by `collect()` at scrape.
  const collectedRegistry = new Registry();
  const counts = new Map<string, { labels: Record<string, string>; value: number }>();
  new Counter({
    name: 'c_total',
    help: 'c',
    labelNames: LABELS,
    registers: [collectedRegistry],
    collect() {
      this.reset();
      for (const { labels, value } of counts.values()) this.inc(labels, value);
    },
  });
  const collectedInc = (i: number) => {
    const values = combination(i);
    const key = values.join('\u0000');
    let entry = counts.get(key);
    if (!entry) {
      entry = { labels: labelObject(i), value: 0 };
      counts.set(key, entry);
    }
    entry.value++;
  };

  return [
    { name: 'HotCounter.inc (gateway)', registry: hotRegistry, update: (i) => hot.inc(combination(i)) },
    {
      name: 'prom-client Counter.inc(labels)',
      registry: plainRegistry,
      update: (i) => plain.inc(objects[i % objects.length] as Record<string, string>),
    },
    { name: 'prom-client cached labels() child', registry: childRegistry, update: (i) => child(i).inc() },
    { name: 'prom-client Counter fed by collect()', registry: collectedRegistry, update: collectedInc },
  ];
}

/** prom-client's children cached per label combination, as a careful user would keep them. */
function cachedChildren<T>(labels: (values: readonly string[]) => T): (i: number) => T {
  const children = new Map<string, T>();
  return (i) => {
    const values = combination(i);
    const key = values.join('\u0000');
    let found = children.get(key);
    if (!found) {
      found = labels(values);
      children.set(key, found);
    }
    return found;
  };
}

function histogramCases(): { name: string; registry: Registry; update: (i: number) => void }[] {
  const hotRegistry = new Registry();
  const hot = new HotHistogram('h_seconds', 'h', LABELS, BUCKETS, hotRegistry);

  const plainRegistry = new Registry();
  const plain = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [plainRegistry],
  });
  const objects = COMBINATIONS.map((_, i) => labelObject(i));

  const childRegistry = new Registry();
  const withChildren = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [childRegistry],
  });
  const child = cachedChildren((values) => withChildren.labels(...values));

  return [
    {
      name: 'HotHistogram.observe (gateway)',
      registry: hotRegistry,
      update: (i) => hot.observe(combination(i), latency(i)),
    },
    {
      name: 'prom-client Histogram.observe(labels)',
      registry: plainRegistry,
      update: (i) => plain.observe(objects[i % objects.length] as Record<string, string>, latency(i)),
    },
    {
      name: 'prom-client cached labels() child',
      registry: childRegistry,
      update: (i) => child(i).observe(latency(i)),
    },
  ];
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  for (const [kind, cases] of [
    ['counter', counterCases()],
    ['histogram', histogramCases()],
  ] as const) {
    // Same exposition from every way of a kind, and every path compiled, before timing.
    const texts = new Set<string>();
    for (const { registry, update } of cases) {
      for (let i = 0; i < 20_000; i++) update(i);
      texts.add((await registry.metrics()).replace(/\{(le="[^"]*"),(.*)\} /g, '{$2,$1} '));
    }
    if (texts.size !== 1) throw new Error(`the ${kind} cases expose different text`);
    let baseline = 0;
    for (const { name, registry, update } of cases) {
      const ns = await nanoseconds(update);
      baseline ||= ns;
      rows.push({
        metric: kind,
        way: name,
        'ns per update': ns,
        'vs gateway': ns / baseline,
        'µs per scrape (20 series)': await scrapeMicroseconds(registry),
      });
    }
  }
  printTable(rows);
  writeResults('hot-metrics', { samples: SAMPLES, sampleMs: SAMPLE_MS, series: COMBINATIONS.length, rows });
}
