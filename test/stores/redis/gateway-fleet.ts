/**
 * Several `sluice serve` processes on one Redis in front of one simulator,
 * for the slow multi-instance tests; everything is stopped after each test.
 */
import { afterEach } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../../src/simulator/index.js';
import { type GatewayProcess, startGatewayProcess } from './gateway-processes.js';
import { type RedisServer, startRedisServer, testPrefix } from './redis-server.js';

export interface Fleet {
  readonly redis: RedisServer;
  readonly simulator: Simulator;
  readonly gateways: readonly GatewayProcess[];
}

export interface FleetOptions {
  readonly simulator: SimulatorOptions;
  /** The gateways' config, given Redis's URL, a fresh key prefix and the simulator's URL. */
  readonly config: (redisUrl: string, prefix: string, simUrl: string) => Record<string, unknown>;
  readonly gateways: number;
}

/** Call at the top level of a test file: the `start` it returns is stopped after each test. */
export function fleetsStoppedAfterEach(): (options: FleetOptions) => Promise<Fleet> {
  let running: Fleet | undefined;
  afterEach(async () => {
    const fleet = running;
    running = undefined;
    if (!fleet) return;
    await Promise.all(fleet.gateways.map((g) => g.stop()));
    await fleet.simulator.close();
    await fleet.redis.stop();
  });
  return async (options) => {
    const redis = await startRedisServer();
    const simulator = await startSimulator(options.simulator);
    const config = options.config(redis.url, testPrefix('gateways'), simulator.url);
    const gateways: GatewayProcess[] = [];
    running = { redis, simulator, gateways };
    gateways.push(
      ...(await Promise.all(Array.from({ length: options.gateways }, () => startGatewayProcess(config)))),
    );
    return running;
  };
}

/** One model group, `gpt-4o-mini`, on the fleet's simulator with an `rpm` limit: what most fleet tests route to. */
export function simulatorGroup(simUrl: string, rpm: number) {
  return {
    'gpt-4o-mini': {
      deployments: [
        {
          id: 'sim',
          provider: 'openai',
          base_url: `${simUrl}/v1`,
          api_key: 'sk-sim',
          model: 'gpt-4o-mini',
          limits: { rpm },
        },
      ],
    },
  };
}
