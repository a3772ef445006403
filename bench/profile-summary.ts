/**
 * Where a process's CPU went, from a V8 `.cpuprofile` (`node --cpu-prof`):
 * self time summed by group (Sluice's own code by folder, each dependency,
 * Node's HTTP and stream internals, GC), as shares of the busy time (idle
 * left out). `npm run bench gateway -- --profile` prints it for the gateway;
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]` for any profile.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
export interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  readonly name: string;
  /** Share of busy (non-idle) time, 0–1. */
  readonly share: number;
}

export interface ProfileSummary {
  /** Busy time sampled, ms. */
  readonly busyMs: number;
  readonly groups: readonly Share[];
  readonly functions: readonly Share[];
}

/** The group a frame's self time counts to. */
function groupOf(functionName: string, url: string): string | undefined {
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 / native (program)';
  const nodeModules = url.lastIndexOf('node_modules/');
  if (nodeModules >= 0) {
    const rest = url.slice(nodeModules + 'node_modules/'.length);
    const parts = rest.split('/');
    return (parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]) ?? rest;
  }
  const dist = url.match(/\/dist\/([^/]+)\//);
  if (dist) return `sluice ${dist[1]}`;
  if (url.startsWith('node:internal/http') || url.startsWith('node:_http') || url === 'node:http')
    return 'node http';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node streams';
  if (url.startsWith('node:net') || url.includes('stream_base')) return 'node net / sockets';
  if (url.startsWith('node:internal/process/task_queues') || url.startsWith('node:internal/timers'))
    return 'node ticks / timers';
  if (url.startsWith('node:')) return 'node other';
  if (url === '') return functionName ? `native: ${functionName}` : 'native';
  return url;
}

export interface SummaryOptions {
  /** Only samples taken in this window of the monotonic clock, in µs (V8's profile timestamps). */
  fromUs?: number;
  toUs?: number;
  topFunctions?: number;
}

export function summarizeProfile(profile: CpuProfile, options: SummaryOptions = {}): ProfileSummary {
  const { fromUs = 0, toUs = Number.POSITIVE_INFINITY, topFunctions = 15 } = options;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < fromUs || at > toUs) continue;
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const group = groupOf(frame.functionName, frame.url);
    if (group === undefined) continue;
    busy += us;
    groups.set(group, (groups.get(group) ?? 0) + us);
    const file = frame.url.slice(frame.url.lastIndexOf('/') + 1);
    const fn = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const shares = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, share: busy > 0 ? us / busy : 0 }));
  return {
    busyMs: Math.round(busy / 1000),
    groups: shares(groups),
    functions: shares(functions).slice(0, topFunctions),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const pct = (s: Share) => `${(s.share * 100).toFixed(1).padStart(5)} %  ${s.name}`;
  return [
    `busy ${summary.busyMs} ms sampled; self time by group:`,
    ...summary.groups.filter((g) => g.share >= 0.005).map(pct),
    '',
    'top functions by self time:',
    ...summary.functions.map(pct),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatSummary(summarizeProfile(profile, { topFunctions: Number(process.argv[3] ?? 25) })));
}
