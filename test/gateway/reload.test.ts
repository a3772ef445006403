/**
 * Which reloaded settings need a restart is judged against what the gateway
 * started with, not against the previous reload: a setting put back to its
 * running value no longer needs one, and a setting still different from it
 * keeps saying so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import { baseConfig, type Rig, startRig } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const RESTART_WARNING = 'configuration reloaded; these settings take effect only after a restart';

describe('configuration reload: settings fixed at start', () => {
  it('warns while `listen` differs from the running value, and not once it is put back', async () => {
    rig = await startRig();
    const r = rig;
    const reload = (overrides: Partial<GatewayConfigInput>) =>
      r.gateway.reload(parseConfig(baseConfig(r.sim.url, overrides), 'reload', {}));
    const warnings = () => r.logs.filter((l) => l.msg === RESTART_WARNING).length;
    const running = { host: '127.0.0.1', port: 0 };

    expect(reload({ listen: { host: '127.0.0.1', port: 1234 } })).toEqual({
      ok: true,
      restartNeeded: ['listen'],
    });
    expect(warnings()).toBe(1);
    // Still not what the process listens on: still needs a restart.
    expect(reload({ listen: { host: '127.0.0.1', port: 1234 } })).toEqual({
      ok: true,
      restartNeeded: ['listen'],
    });
    expect(warnings()).toBe(2);
    // Back to the running value: nothing waits for a restart any more.
    expect(reload({ listen: running })).toEqual({ ok: true, restartNeeded: [] });
    expect(warnings()).toBe(2);
    expect(r.logs.at(-1)?.msg).toBe('configuration reloaded');
  });
});
