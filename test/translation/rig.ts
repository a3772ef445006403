/**
 * The translation rig: the simulator (which speaks all three families)
 * behind a recorder, and one face in front of it, the gateway or
 * `governor.fetch`, with a model group per upstream family:
 * `to-openai`, `to-anthropic`, `to-gemini`. A client of any family asks a
 * group of another; what reaches the upstream and what it answered are in
 * `recorder.exchanges`.
 *
 * Through `governor.fetch` the SDKs keep a base URL that resolves nowhere
 * (`APP_URL`): a governed call never goes there, and one that leaked would
 * fail loudly instead of reaching the simulator untranslated.
 */
import type { Clock } from '../../src/core/clock.js';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { LibraryConfigInput } from '../../src/library/config.js';
import { createGovernor } from '../../src/library/create-governor.js';
import type { Governor } from '../../src/runtime/governor.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';
import { advanceUntilSettled, memoryLogger } from '../gateway/helpers.js';
import { startTestGateway } from '../gateway/test-gateway.js';
import { type Recorder, startRecorder } from './recorder.js';

export type Family = 'openai' | 'anthropic' | 'gemini';
export const FAMILIES: readonly Family[] = ['openai', 'anthropic', 'gemini'];

export type FaceName = 'gateway' | 'library';
export const FACES: readonly FaceName[] = ['gateway', 'library'];

/** The group whose one deployment speaks `family`. */
export function groupOf(family: Family): string {
  return `to-${family}`;
}

/** Where the SDKs point when `governor.fetch` carries their calls. */
export const APP_URL = 'http://app.invalid';
/** The gateway key of the one tenant (the library serves its `default` tenant). */
export const TENANT_KEY = 'sk-translation-tenant';

type GroupsInput = GatewayConfigInput['model_groups'];
type DeploymentInput = GroupsInput[string]['deployments'][number];

/** The deployment of `family` on the simulator (behind the recorder at `url`), each with its own key. */
export function deploymentOf(
  family: Family,
  url: string,
  extra: { id?: string; limits?: DeploymentInput['limits'] } = {},
): DeploymentInput {
  const common = { id: extra.id ?? `sim-${family}`, ...(extra.limits && { limits: extra.limits }) };
  switch (family) {
    case 'openai':
      return {
        ...common,
        provider: 'openai',
        base_url: `${url}/v1`,
        api_key: 'sk-upstream',
        model: 'gpt-4o-mini',
      };
    case 'anthropic':
      return {
        ...common,
        provider: 'anthropic',
        base_url: url,
        api_key: 'sk-ant-upstream',
        model: 'claude-3-5-haiku-latest',
      };
    case 'gemini':
      return {
        ...common,
        provider: 'gemini',
        base_url: url,
        api_key: 'AIza-upstream',
        model: 'gemini-2.5-flash',
      };
  }
}

/** One group per family; no retries, so an upstream error reaches the caller as it came. */
export function translationGroups(url: string): GroupsInput {
  return Object.fromEntries(FAMILIES.map((f) => [groupOf(f), { deployments: [deploymentOf(f, url)] }]));
}

export interface RigOptions {
  readonly sim?: SimulatorOptions;
  /** The model groups, given the recorder's URL; default `translationGroups`. */
  readonly groups?: (url: string) => GroupsInput;
  /** One clock for the simulator and the face. */
  readonly clock?: Clock;
  /** Governor settings both faces take (`retry`, `default_max_wait_ms`, …), over the rig's own. */
  readonly settings?: Omit<LibraryConfigInput, 'model_groups'>;
}

export interface Rig {
  readonly face: FaceName;
  readonly sim: Simulator;
  readonly recorder: Recorder;
  readonly governor: Governor;
  /** Where an SDK points (the gateway, or `APP_URL` under `governor.fetch`). */
  readonly baseUrl: string;
  /** The key an SDK sends. */
  readonly apiKey: string;
  /** The SDK's `fetch`: `governor.fetch` for the library, the global one for the gateway. */
  readonly fetch: typeof fetch;
  close(): Promise<void>;
}

export async function startRig(face: FaceName, options: RigOptions = {}): Promise<Rig> {
  const { clock } = options;
  const sim = await startSimulator({
    response: { mode: 'lorem', tokens: 8 },
    ...options.sim,
    ...(clock && { clock }),
  });
  const recorder = await startRecorder(sim.url);
  const shared = {
    model_groups: (options.groups ?? translationGroups)(recorder.url),
    retry: { max_attempts: 1, base_ms: 0, cap_ms: 0 },
    ...options.settings,
  };
  const closeUpstream = async () => {
    await recorder.close();
    await sim.close();
  };
  if (face === 'library') {
    const g = createGovernor(shared, clock ? { clock } : {});
    return {
      face,
      sim,
      recorder,
      governor: g.governor,
      baseUrl: APP_URL,
      apiKey: 'sk-app',
      fetch: g.fetch,
      async close() {
        await g.close();
        await closeUpstream();
      },
    };
  }
  const input: GatewayConfigInput = {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { enabled: false },
    ...shared,
    tenants: [{ id: 'acme', key: TENANT_KEY }],
  };
  const gateway = await startTestGateway({
    config: parseConfig(input, 'translation config', {}),
    logger: memoryLogger([]),
    ...(clock && { clock }),
  });
  return {
    face,
    sim,
    recorder,
    governor: gateway.governor,
    baseUrl: gateway.url,
    apiKey: TENANT_KEY,
    fetch: globalThis.fetch,
    async close() {
      const closing = gateway.close({ timeoutMs: 1_000 });
      if (clock instanceof ManualClock) await advanceUntilSettled(clock, closing);
      else await closing;
      await closeUpstream();
    },
  };
}
