/** Simulators on a manual clock for one test file, closed after each test. */
import { afterEach } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

/** Call at the top level of a test file: the `start` it returns is closed after each test. */
export function simulatorsClosedAfterEach(defaults: SimulatorOptions = {}) {
  const started: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (options: SimulatorOptions = {}): Promise<{ sim: Simulator; clock: ManualClock }> => {
    const clock = new ManualClock();
    const sim = await startSimulator({ clock, ...defaults, ...options });
    started.push(sim);
    return { sim, clock };
  };
}
