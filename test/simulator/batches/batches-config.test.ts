/** The `batches` section of the simulator config: its defaults, and unknown keys refused by path. */
import { describe, expect, it } from 'vitest';
import { parseSimulatorConfig } from '../../../src/simulator/config.js';
import { describeSimulator } from '../../../src/simulator/describe.js';

describe('simulator batches config', () => {
  it('fills the documented defaults', () => {
    expect(parseSimulatorConfig({}).batches).toEqual({
      pace_ms_per_line: 10,
      queue_tokens_per_model: 2_000_000,
      queue_requests: 100_000,
      anthropic_rpm: 4_000,
      max_file_bytes: 200 * 1024 * 1024,
    });
  });

  it('refuses an unknown key and a negative pace, naming the path', () => {
    expect(() => parseSimulatorConfig({ batches: { pace: 5 } as never })).toThrow(/batches/);
    expect(() => parseSimulatorConfig({ batches: { pace_ms_per_line: -1 } })).toThrow(
      /batches\.pace_ms_per_line/,
    );
  });

  it('is named in what `sluice simulate` prints at start', () => {
    const lines = describeSimulator(
      parseSimulatorConfig({ batches: { pace_ms_per_line: 250 } }),
      'http://127.0.0.1:1',
    );
    expect(lines.join('\n')).toMatch(/Batches .*\(250 ms per line\)[\s\S]*_sim\/batches\/complete/);
  });
});
