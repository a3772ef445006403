/**
 * Counters and histograms for the request path, registered in prom-client's
 * registry (which writes the exposition) but updated without it: prom-client
 * hashes the label object on every `inc`/`observe`, even through a cached
 * child, which cost several µs per request in the gateway's profile. Here a
 * series is found by a string key built once per label combination and its
 * value is a plain number (or an array of bucket counts).
 */
import type { Registry } from 'prom-client';

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** What prom-client's registry reads from a metric. */
interface Exposable {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: 'sum' };
}

class Series<T> {
  private readonly byKey = new Map<string, { labels: Record<string, string>; state: T }>();
  constructor(
    private readonly labelNames: readonly string[],
    private readonly create: () => T,
  ) {}

  /** The state of one label combination (values in `labelNames` order). */
  get(values: readonly string[]): T {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let entry = this.byKey.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] ?? '';
      });
      entry = { labels, state: this.create() };
      this.byKey.set(key, entry);
    }
    return entry.state;
  }

  entries(): IterableIterator<{ labels: Record<string, string>; state: T }> {
    return this.byKey.values();
  }
}

export class HotCounter implements Exposable {
  readonly type = 'counter';
  private readonly series: Series<{ value: number }>;

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    registry: Registry,
  ) {
    this.series = new Series(labelNames, () => ({ value: 0 }));
    registry.registerMetric(this as never);
  }

  inc(values: readonly string[], by = 1): void {
    this.series.get(values).value += by;
  }

  /** One label combination's series, to keep and add to without a lookup (`child.value += n`). */
  child(values: readonly string[]): { value: number } {
    return this.series.get(values);
  }

  /** Exposes a label combination at 0 before anything happened to it (a counter that exists from start). */
  declare(values: readonly string[]): void {
    this.series.get(values);
  }

  get() {
    const values: MetricValue[] = [];
    for (const { labels, state } of this.series.entries()) values.push({ value: state.value, labels });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }
}

interface HistogramState {
  readonly counts: number[];
  sum: number;
  count: number;
}

export interface HistogramChild {
  observe(value: number): void;
}

export class HotHistogram implements Exposable {
  readonly type = 'histogram';
  private readonly series: Series<HistogramState>;

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    this.series = new Series(labelNames, () => ({
      counts: new Array<number>(buckets.length).fill(0),
      sum: 0,
      count: 0,
    }));
    registry.registerMetric(this as never);
  }

  observe(values: readonly string[], value: number): void {
    this.observeInto(this.series.get(values), value);
  }

  /** One label combination, bound: callers keep it (per deployment, per tenant) and observe without a lookup. */
  child(values: readonly string[]): HistogramChild {
    const state = this.series.get(values);
    return { observe: (value) => this.observeInto(state, value) };
  }

  private observeInto(state: HistogramState, value: number): void {
    state.sum += value;
    state.count++;
    const buckets = this.buckets;
    // Counts are per bucket here and made cumulative at exposition.
    for (let i = 0; i < buckets.length; i++) {
      if (value <= (buckets[i] as number)) {
        (state.counts[i] as number)++;
        return;
      }
    }
  }

  get() {
    const values: MetricValue[] = [];
    const name = this.name;
    for (const { labels, state } of this.series.entries()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += state.counts[i] ?? 0;
        values.push({ value: cumulative, labels: { ...labels, le }, metricName: `${name}_bucket` });
      });
      values.push({ value: state.count, labels: { ...labels, le: '+Inf' }, metricName: `${name}_bucket` });
      values.push({ value: state.sum, labels, metricName: `${name}_sum` });
      values.push({ value: state.count, labels, metricName: `${name}_count` });
    }
    return { name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }
}
