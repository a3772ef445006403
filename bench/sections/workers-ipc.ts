/**
 * What one decision costs a worker of `--workers N` on the memory store:
 * a reserve (four buckets, the typical decision) and its settle, each one
 * round trip to the primary's MemoryStore, over
 *   - cluster's IPC with serialization 'advanced' (structured clone: keeps
 *     Infinity and undefined), what `sluice serve --workers` uses;
 *   - cluster's IPC with JSON (the default; loses Infinity: shown for scale);
 *   - a Unix-domain socket, 4-byte length + V8 serialize framing;
 * beside the MemoryStore called in-process. Sequential (one at a time: the
 * latency a request pays) and 64 in flight (the throughput one worker gets).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { costOf } from '../../src/core/cost.js';
import type { Reservation } from '../../src/core/decision.js';
import { batchedLink } from '../../src/gateway/workers/batched-link.js';
import { forwardedStore } from '../../src/gateway/workers/forwarded-store.js';
import type { StoreLink } from '../../src/gateway/workers/store-wire.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import type { Store } from '../../src/stores/store.js';
import { printTable, type Row, writeResults } from '../lib/report.js';
import { fourHugeBuckets, throughput } from '../lib/throughput.js';
import { socketLink } from './workers/socket-link.js';

const here = dirname(fileURLToPath(import.meta.url));
const HOST = join(here, 'workers', 'ipc-host.ts');

function startHost(serialization: 'advanced' | 'json', socketPath?: string): Promise<ChildProcess> {
  const child = fork(HOST, socketPath ? [socketPath] : [], { serialization });
  return new Promise((resolve) => child.once('message', () => resolve(child)));
}

function childLink(child: ChildProcess, batched = false): StoreLink {
  const raw = {
    send: (message: unknown) => {
      child.send(message as never);
    },
    listen: (listener: (message: unknown) => void) => child.on('message', listener),
    onClose: (listener: () => void) => child.once('exit', listener),
  };
  return batched ? batchedLink(raw) : { ...raw, onMessage: raw.listen };
}

async function decisionsPerSecond(store: Store, inFlight: number): Promise<number> {
  const buckets = fourHugeBuckets('ipc:');
  const cost = costOf(200, 100);
  const decide = async () => {
    const d = await store.reserve(buckets, cost);
    await store.settle(d.reservation as Reservation, { inputTokens: 200, outputTokens: 50 });
  };
  await throughput(decide, inFlight, 300);
  const rates: number[] = [];
  for (let i = 0; i < 5; i++) rates.push(await throughput(decide, inFlight, 700));
  return rates.sort((a, b) => a - b)[2] as number;
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const measure = async (name: string, store: Store) => {
    const one = await decisionsPerSecond(store, 1);
    const many = await decisionsPerSecond(store, 64);
    rows.push({
      transport: name,
      'µs per decision (1 at a time)': Math.round(1e6 / one),
      'decisions/s (64 in flight)': Math.round(many),
    });
  };
  await measure('in-process MemoryStore (no IPC)', new MemoryStore({ sweepIntervalMs: 0 }));
  const children: ChildProcess[] = [];
  try {
    for (const serialization of ['advanced', 'json'] as const) {
      const child = await startHost(serialization);
      children.push(child);
      await measure(`cluster IPC, serialization '${serialization}'`, forwardedStore(childLink(child)));
    }
    const batched = await startHost('advanced', 'batched');
    children.push(batched);
    await measure(
      "cluster IPC 'advanced', batched per turn (--workers)",
      forwardedStore(childLink(batched, true)),
    );
    const path = join(tmpdir(), `sluice-ipc-${process.pid}.sock`);
    const child = await startHost('advanced', path);
    children.push(child);
    const socket = connect(path);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.setNoDelay(true);
    await measure('Unix socket, length + v8.serialize', forwardedStore(socketLink(socket)));
    socket.destroy();
  } finally {
    for (const child of children) child.kill();
  }
  console.log('A decision: reserve on four buckets + settle (two round trips).');
  printTable(rows);
  writeResults('workers-ipc', { rows });
}
