/**
 * `npm run bench gateway -- --profile`: a separate pass (so the measured
 * rounds run without the profiler's overhead) with the gateway under
 * `--cpu-prof`, loaded like the measured case, then the profile summed by
 * group and function. Only samples taken while the load ran count: start-up
 * (module loading, compiling) and the idle tail are not the per-request cost.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CpuProfile, formatSummary, summarizeProfile } from '../../profile-summary.js';
import type { Child } from './processes.js';

export interface ProfilePass {
  start(nodeFlags: string[]): Promise<Child>;
  load(proxy: Child): Promise<unknown>;
}

export async function profileGateway(pass: ProfilePass): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gateway-profile-'));
  const gateway = await pass.start(['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let window: { fromUs: number; toUs: number };
  try {
    await pass.load(gateway); // warm-up: JIT, pools, caches
    // V8's profile timestamps and hrtime are both the monotonic clock, shared by the processes.
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    await pass.load(gateway);
    window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  } finally {
    await gateway.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    console.log(`\nno profile written in ${dir}`);
    return;
  }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  console.log(`\n### where the gateway's CPU goes (${join(dir, file)})\n`);
  console.log(formatSummary(summarizeProfile(profile, { ...window, topFunctions: 25 })));
}
