/**
 * The processes of the proxy benchmarks: the built CLI (`sluice serve`,
 * `sluice simulate`) and plain scripts, each in its own process, optionally
 * pinned to a set of cores with `taskset` so the load generator and the
 * proxy under test do not take turns on the same core.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Child {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Extra flags for node itself (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Cores to run on (`taskset -c`), when taskset is available. */
  cores?: string;
}

let built = false;
/** Builds dist/ once per run, so the children run the current sources. */
function ensureBuilt(): void {
  if (built) return;
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  if (result.status !== 0) throw new Error('npm run build failed');
  built = true;
}

let taskset: boolean | undefined;
/** Whether cores can be pinned here (Linux with util-linux, at least two cores). */
export function canPin(): boolean {
  taskset ??= spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
  return taskset;
}

/** Pins this process (the load generator) to `cores`; false when it cannot. */
export function pinSelf(cores: string): boolean {
  if (!canPin()) return false;
  return spawnSync('taskset', ['-a', '-cp', cores, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `sluice <args>` from the built CLI, as deployed (under the tsx
 * loader the same code measured several times slower), and waits for the
 * line giving its URL.
 */
export async function startChild(args: string[], ready: RegExp, options: ChildOptions = {}): Promise<Child> {
  ensureBuilt();
  return startScript(join(root, 'dist', 'cli', 'main.js'), args, ready, options);
}

export async function startScript(
  script: string,
  args: string[],
  ready: RegExp,
  options: ChildOptions = {},
): Promise<Child> {
  // Request logs go to a file, as in production: a pipe read by this busy process would hold up the child's writes.
  const logFile = openSync(join(tmpdir(), `sluice-bench-${basename(script)}-${process.pid}.log`), 'a');
  const command = [...(options.nodeFlags ?? []), script, ...args];
  const pinned = options.cores !== undefined && canPin();
  const child: ChildProcess = spawn(
    pinned ? 'taskset' : process.execPath,
    pinned ? ['-c', options.cores as string, process.execPath, ...command] : command,
    { cwd: root, stdio: ['ignore', args[0] === 'serve' ? logFile : 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = ready.exec(seen);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${basename(script)} ${args[0]} exited with ${code}: ${seen}`)),
    );
  });
  // Reading what else it prints keeps the pipe from filling up.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url,
    // taskset execs node in place: the pid is node's.
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
