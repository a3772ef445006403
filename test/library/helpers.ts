/**
 * Simulators and governors started by a library test, closed after each test.
 * Import these in a test file and call `closeAfterEach()` once at its top.
 */
import { afterEach } from 'vitest';
import {
  createGovernor,
  type LibraryConfigInput,
  type LibraryGovernor,
  type LibraryOptions,
} from '../../src/library/create-governor.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js';

const open: { close(): Promise<void> }[] = [];

export function closeAfterEach(): void {
  afterEach(async () => {
    while (open.length) await open.pop()?.close();
  });
}

export async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator(options);
  open.push(sim);
  return sim;
}

export function governor(config: LibraryConfigInput, options?: LibraryOptions): LibraryGovernor {
  const g = createGovernor(config, options);
  open.push(g);
  return g;
}
