/**
 * Semantic index section: the semantic cache's nearest-neighbour search in
 * one partition at 1 K, 10 K and 100 K entries of 1,536 dimensions —
 * Sluice's exhaustive search (`SemanticPartition`, one dot product per
 * entry over one Float32Array) beside graph indexes from npm that install
 * without a compiler or a download (pure JS or WebAssembly inside the
 * package), in the same run:
 *
 * - `hnsw`: HNSW in TypeScript (M 16, efConstruction 200, efSearch 50).
 * - `edgevec`: HNSW in Rust compiled to WebAssembly (its defaults; L2 on
 *   unit vectors, which ranks as cosine does: its cosine metric returned
 *   the farthest entries in a probe).
 *
 * Not measured: `hnswlib-wasm` (its build throws "not compiled for this
 * environment" under Node), `voy-search` (a k-d tree, which degrades to a
 * scan at this many dimensions; its wasm is an ES-module import Node only
 * loads behind a flag), `hnswlib-node`, `usearch` and `faiss-node` (native
 * addons).
 *
 * The peers are not dependencies: install them anywhere
 * (`npm i --prefix /tmp/nn hnsw edgevec`) and run
 * `BENCH_PEERS=/tmp/nn/node_modules node --expose-gc --import tsx bench/run.ts semantic-index`;
 * without them only the exhaustive search is measured.
 *
 * Per candidate and size: insert time per entry, lookup p50 / p99 over
 * queries that are paraphrases of stored entries (cosine about 0.95 to one
 * of them), memory per entry (heap + external and RSS deltas, after a GC
 * when `--expose-gc`), and recall (the same top match as the exhaustive
 * search). Every figure is also given as a ratio to the exhaustive search.
 * Vectors are clustered like embeddings of related questions, not uniform
 * noise (on which graph indexes do worst).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SemanticPartition } from '../../src/cache/semantic-partition.js';
import { printTable, type Row, writeResults } from '../lib/report.js';

const DIMENSIONS = 1536;
const SIZES = [1_000, 10_000, 100_000];
const QUERIES = 300;
/**
 * A build that takes longer than this is stopped and reported as such (with
 * its insert rate so far), and the candidate is not built at larger sizes.
 */
const BUILD_BUDGET_MS = 240_000;

class OverBudget extends Error {
  constructor(readonly inserted: number) {
    super(`build over ${BUILD_BUDGET_MS / 1_000} s after ${inserted} entries`);
  }
}

/** Throws `OverBudget` once a build has run past its budget; checked every 64 inserts. */
function budget(started: number, inserted: number): void {
  if (inserted % 64 === 0 && performance.now() - started > BUILD_BUDGET_MS) throw new OverBudget(inserted);
}

interface Candidate {
  readonly name: string;
  build(vectors: readonly Float32Array[]): Promise<Index>;
}

interface Index {
  /** The closest entry's position in the input, or -1. */
  nearest(query: Float32Array): number;
}

/** Deterministic normal draws (LCG + Box–Muller), so every run measures the same vectors. */
function normals(seed: number): () => number {
  let x = seed >>> 0;
  const uniform = () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    return (x + 1) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const k = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * k;
  return v;
}

/** `base` moved by noise of relative size `spread`, unit length. */
function near(base: Float32Array, spread: number, next: () => number): Float32Array {
  const v = new Float32Array(base.length);
  const k = spread / Math.sqrt(base.length);
  for (let i = 0; i < v.length; i++) v[i] = (base[i] as number) + k * next();
  return unit(v);
}

/** `count` vectors around count / 20 topics (cosine about 0.7 to their topic). */
function dataset(count: number, next: () => number): Float32Array[] {
  const topics = Array.from({ length: Math.max(1, count / 20) }, () =>
    unit(Float32Array.from({ length: DIMENSIONS }, next)),
  );
  return Array.from({ length: count }, (_, i) => near(topics[i % topics.length] as Float32Array, 1, next));
}

const exhaustive: Candidate = {
  name: 'exhaustive (Sluice)',
  async build(vectors) {
    const partition = new SemanticPartition(DIMENSIONS, vectors.length);
    vectors.forEach((v, i) => {
      partition.add(String(i), v, 0, Number.POSITIVE_INFINITY);
    });
    return {
      nearest: (q) => Number(partition.nearest(q, -1, 0, Number.POSITIVE_INFINITY)?.id ?? -1),
    };
  },
};

async function peer(dir: string, name: string): Promise<Record<string, unknown>> {
  const resolved = createRequire(join(dir, 'index.js')).resolve(name);
  return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
}

type HnswClass = new (
  m: number,
  efConstruction: number,
  d: number,
  metric: string,
  efSearch: number,
) => {
  addPoint(id: number, v: Float32Array): Promise<void>;
  searchKNN(q: Float32Array, k: number): { id: number }[];
};

async function peers(dir: string | undefined): Promise<Candidate[]> {
  if (!dir) return [];
  const found: Candidate[] = [];
  try {
    const { HNSW } = (await peer(dir, 'hnsw')) as { HNSW: HnswClass };
    found.push({
      name: 'hnsw (TypeScript)',
      async build(vectors) {
        const index = new HNSW(16, 200, DIMENSIONS, 'cosine', 50);
        const started = performance.now();
        // A copy, as the other candidates keep one: the vector is then counted in its memory.
        for (let i = 0; i < vectors.length; i++) {
          budget(started, i);
          await index.addPoint(i, (vectors[i] as Float32Array).slice());
        }
        return { nearest: (q) => index.searchKNN(q, 1)[0]?.id ?? -1 };
      },
    });
  } catch (error) {
    console.log(`hnsw not loaded: ${(error as Error).message}`);
  }
  try {
    const edgevec = (await peer(dir, 'edgevec')) as {
      default: (init: { module_or_path: Buffer }) => Promise<unknown>;
      EdgeVecConfig: new (d: number) => { setMetricType(m: number): void };
      EdgeVec: new (
        config: unknown,
      ) => { insert(v: Float32Array): number; search(q: Float32Array, k: number): { id: number }[] };
      MetricType: { L2: number };
    };
    const wasm = join(dir, 'edgevec', 'edgevec_bg.wasm');
    await edgevec.default({ module_or_path: readFileSync(wasm) });
    found.push({
      name: 'edgevec (WebAssembly)',
      async build(vectors) {
        const config = new edgevec.EdgeVecConfig(DIMENSIONS);
        config.setMetricType(edgevec.MetricType.L2);
        const index = new edgevec.EdgeVec(config);
        const position = new Map<number, number>();
        const started = performance.now();
        vectors.forEach((v, i) => {
          budget(started, i);
          position.set(index.insert(v), i);
        });
        return {
          nearest: (q) => {
            const top = index.search(q, 1)[0];
            return top ? (position.get(top.id) ?? -1) : -1;
          },
        };
      },
    });
  } catch (error) {
    console.log(`edgevec not loaded: ${(error as Error).message}`);
  }
  return found;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Memory in use after two collections a moment apart (array buffers are freed after the GC that finds them). */
async function memory(): Promise<{ heap: number; rss: number }> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

interface Measured {
  readonly candidate: string;
  readonly entries: number;
  readonly insertUs: number;
  readonly lookupP50Us: number;
  readonly lookupP99Us: number;
  readonly heapBytesPerEntry: number;
  readonly rssBytesPerEntry: number;
  readonly recall: number;
  readonly answers: number[];
}

async function measure(
  candidate: Candidate,
  vectors: readonly Float32Array[],
  queries: readonly Float32Array[],
  truth: readonly number[] | undefined,
): Promise<Measured> {
  const before = await memory();
  const started = performance.now();
  const index = await candidate.build(vectors);
  const buildMs = performance.now() - started;
  const after = await memory();
  // Warm up the lookup path before timing it.
  for (const q of queries.slice(0, 20)) index.nearest(q);
  const times: number[] = [];
  const answers = queries.map((q) => {
    const t = performance.now();
    const answer = index.nearest(q);
    times.push((performance.now() - t) * 1_000);
    return answer;
  });
  times.sort((a, b) => a - b);
  const hits = truth ? answers.filter((a, i) => a === truth[i]).length : answers.length;
  return {
    candidate: candidate.name,
    entries: vectors.length,
    insertUs: (buildMs * 1_000) / vectors.length,
    lookupP50Us: percentile(times, 0.5),
    lookupP99Us: percentile(times, 0.99),
    heapBytesPerEntry: (after.heap - before.heap) / vectors.length,
    rssBytesPerEntry: (after.rss - before.rss) / vectors.length,
    recall: hits / queries.length,
    answers,
  };
}

export async function run(): Promise<void> {
  const candidates = [exhaustive, ...(await peers(process.env.BENCH_PEERS))];
  if (!(globalThis as { gc?: unknown }).gc) console.log('(no --expose-gc: memory figures include garbage)');
  const rows: Row[] = [];
  const results: Record<string, unknown>[] = [];
  const overBudget = new Set<string>();
  for (const size of SIZES) {
    const next = normals(size);
    let vectors: Float32Array[] | undefined = dataset(size, next);
    const queries = Array.from({ length: QUERIES }, (_, i) =>
      near(vectors?.[(i * 7_919) % size] as Float32Array, 0.33, next),
    );
    let base: Measured | undefined;
    for (const candidate of candidates) {
      if (overBudget.has(candidate.name)) {
        results.push({ candidate: candidate.name, entries: size, skipped: 'over budget at a smaller size' });
        continue;
      }
      let m: Measured;
      try {
        m = await measure(candidate, vectors, queries, base?.answers);
      } catch (error) {
        if (!(error instanceof OverBudget)) throw error;
        overBudget.add(candidate.name);
        const insertUs = (BUILD_BUDGET_MS * 1_000) / Math.max(1, error.inserted);
        console.log(`${candidate.name} at ${size}: ${error.message}`);
        results.push({ candidate: candidate.name, entries: size, skipped: error.message, insertUs });
        rows.push({
          candidate: candidate.name,
          entries: size,
          'insert µs': insertUs,
          'p50 µs': 'over budget',
        });
        writeResults('semantic-index', { dimensions: DIMENSIONS, queries: QUERIES, rows: results });
        continue;
      }
      base ??= m;
      const ratio = (a: number, b: number) => (b === 0 ? Number.NaN : a / b);
      const { answers: _answers, ...figures } = m;
      const ratios = {
        insertVsExhaustive: ratio(m.insertUs, base.insertUs),
        lookupP50VsExhaustive: ratio(m.lookupP50Us, base.lookupP50Us),
        lookupP99VsExhaustive: ratio(m.lookupP99Us, base.lookupP99Us),
        heapVsExhaustive: ratio(m.heapBytesPerEntry, base.heapBytesPerEntry),
        rssVsExhaustive: ratio(m.rssBytesPerEntry, base.rssBytesPerEntry),
      };
      results.push({ ...figures, ...ratios });
      rows.push({
        candidate: m.candidate,
        entries: size,
        'insert µs': m.insertUs,
        'p50 µs': m.lookupP50Us,
        'p99 µs': m.lookupP99Us,
        'heap B/entry': m.heapBytesPerEntry,
        'rss B/entry': m.rssBytesPerEntry,
        recall: m.recall,
        'insert ×': ratios.insertVsExhaustive,
        'p50 ×': ratios.lookupP50VsExhaustive,
        'p99 ×': ratios.lookupP99VsExhaustive,
        'heap ×': ratios.heapVsExhaustive,
      });
      console.log(`${m.candidate} at ${size}: ${JSON.stringify(rows.at(-1))}`);
      writeResults('semantic-index', { dimensions: DIMENSIONS, queries: QUERIES, rows: results });
      gc();
    }
    vectors = undefined;
    gc();
  }
  printTable(rows);
  writeResults('semantic-index', { dimensions: DIMENSIONS, queries: QUERIES, rows: results });
}
