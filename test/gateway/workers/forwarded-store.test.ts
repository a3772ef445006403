/**
 * The store a worker of `--workers N` uses with the memory store: every call
 * goes to the primary's MemoryStore over a channel and comes back. The same
 * contract suite as MemoryStore and RedisStore runs through it (a manual
 * clock on the primary's store: the worker side has no clock of its own),
 * then what is particular to forwarding: errors keep their class, a
 * reservation crosses as plain data and settles the primary's own, two
 * workers share one limit, a dead worker's reservations come back.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { costOf } from '../../../src/core/cost.js';
import { defineBucket } from '../../../src/core/limit.js';
import { forwardedStore } from '../../../src/gateway/workers/forwarded-store.js';
import { hostStore } from '../../../src/gateway/workers/store-host.js';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';
import { type Store, StoreUnavailableError } from '../../../src/stores/store.js';
import { describeBudgetContract } from '../../stores/budget-contract.js';
import { describeStoreContract } from '../../stores/store-contract.js';
import { describeWindowContract } from '../../stores/window-contract.js';
import { portLink } from './message-port-link.js';

function workerOf(primary: Store): { store: Store; port: MessageChannel } {
  const channel = new MessageChannel();
  hostStore(primary, portLink(channel.port1));
  return { store: forwardedStore(portLink(channel.port2)), port: channel };
}

const forwarded = async (clock: ManualClock, { leaseMs }: { leaseMs: number }) => {
  const primary = new MemoryStore({ clock, leaseMs, clustered: true });
  const { store, port } = workerOf(primary);
  return {
    store,
    cleanup: async () => {
      port.port1.close();
      await primary.close();
    },
  };
};
describeStoreContract('forwarded to the primary', forwarded);
describeWindowContract('forwarded to the primary', forwarded);
describeBudgetContract('forwarded to the primary', forwarded);

describe('forwarding', () => {
  const rpm = () =>
    defineBucket('tenant:acme:requests:minute', {
      dimension: 'requests',
      limit: 10,
      per: 'minute',
      margin: 0,
    });
  const slots = () =>
    defineBucket('deployment:d:concurrency', { dimension: 'concurrency', limit: 2, margin: 0 });

  it('says it is clustered, so the runtime publishes its waiting demand', () => {
    const { store } = workerOf(new MemoryStore({ clock: new ManualClock() }));
    expect(store.clustered).toBe(true);
  });

  it('brings an error back as the same class, with its retry delay', async () => {
    const failing = new MemoryStore({ clock: new ManualClock() });
    failing.peek = () => Promise.reject(new StoreUnavailableError('down', { retryAfterMs: 1234 }));
    const { store } = workerOf(failing);
    const error = await store.peek([rpm()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).retryAfterMs).toBe(1234);
    expect((error as StoreUnavailableError).message).toBe('down');
  });

  it('forwards a method the port does not name yet, by name and arguments', async () => {
    const primary = new MemoryStore({ clock: new ManualClock() }) as MemoryStore & {
      echo(a: unknown, b: unknown): Promise<unknown>;
    };
    primary.echo = async (a, b) => ({ a, b });
    const { store } = workerOf(primary);
    const echo = (store as unknown as { echo(a: unknown, b: unknown): Promise<unknown> }).echo;
    expect(await echo({ rank: { priority: 1, tenant: 't', weight: 2 } }, [Infinity])).toEqual({
      a: { rank: { priority: 1, tenant: 't', weight: 2 } },
      b: [Infinity],
    });
  });

  it('two workers share one limit: the 11th request in a minute is refused whichever worker asks', async () => {
    const clock = new ManualClock();
    const primary = new MemoryStore({ clock, clustered: true });
    const a = workerOf(primary).store;
    const b = workerOf(primary).store;
    const decisions = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).reserve([rpm()], costOf(0, 0, 1))),
    );
    expect(decisions.filter((d) => d.granted)).toHaveLength(10);
    const refused = decisions.find((d) => !d.granted);
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
    expect(refused?.limitedBy?.key).toBe('tenant:acme:requests:minute');
  });

  it('a reservation crosses as plain data and settles the primary’s own, once', async () => {
    const primary = new MemoryStore({ clock: new ManualClock() });
    const { store } = workerOf(primary);
    const first = await store.reserve([slots()], costOf(0, 0, 1));
    expect(Object.getPrototypeOf(first.reservation)).toBe(Object.prototype);
    expect(typeof first.reservation?.id).toBe('string');
    await store.reserve([slots()], costOf(0, 0, 1));
    expect((await store.reserve([slots()], costOf(0, 0, 1))).granted).toBe(false);
    await store.settle(first.reservation as NonNullable<typeof first.reservation>);
    expect((await store.reserve([slots()], costOf(0, 0, 1))).granted).toBe(true);
    await store.settle(first.reservation as NonNullable<typeof first.reservation>);
    expect((await primary.stats()).duplicateSettles).toBe(1);
  });

  it('a worker that goes away gives its concurrency slots back at once', async () => {
    const primary = new MemoryStore({ clock: new ManualClock() });
    const dying = workerOf(primary);
    await dying.store.reserve([slots()], costOf(0, 0, 1));
    await dying.store.reserve([slots()], costOf(0, 0, 1));
    const other = workerOf(primary).store;
    expect((await other.reserve([slots()], costOf(0, 0, 1))).granted).toBe(false);
    const closed = new Promise((resolve) => dying.port.port1.once('close', resolve));
    dying.port.port2.close();
    await closed;
    expect((await other.reserve([slots()], costOf(0, 0, 1))).granted).toBe(true);
  });

  it('calls after the primary is gone are refused as store_unavailable, and close stays local', async () => {
    const primary = new MemoryStore({ clock: new ManualClock() });
    const { store, port } = workerOf(primary);
    const other = workerOf(primary).store;
    await store.close();
    expect((await other.reserve([rpm()], costOf(0, 0, 1))).granted).toBe(true);
    const closed = new Promise((resolve) => port.port2.once('close', resolve));
    port.port1.close();
    await closed;
    await expect(store.peek([rpm()])).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
