/**
 * `sluice serve` in separate OS processes for the multi-gateway tests: writes
 * a config file, starts the real CLI (through tsx), waits for `/healthz`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-server.js';
import { waitFor } from './wait-for.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

export interface GatewayProcess {
  readonly url: string;
  /** The YAML file it was started with (rewrite it, then SIGHUP, to reload). */
  readonly configFile: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code once stopped (SIGTERM: the gateway drains). */
  stop(): Promise<number | null>;
}

/** `args`: more `sluice serve` flags (e.g. `--workers 2`). */
export async function startGatewayProcess(
  config: Record<string, unknown>,
  args: readonly string[] = [],
): Promise<GatewayProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gateway-'));
  const file = join(dir, 'sluice.yaml');
  // JSON is YAML.
  writeFileSync(
    file,
    JSON.stringify({ ...config, listen: { host: '127.0.0.1', port }, metrics: { listen: { port: 0 } } }),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--config', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let started = false;
  const poll = async () => {
    while (!started && child.exitCode === null) {
      // Started means the configuration is loaded and the store was waited for (answered, or its
      // start-up wait ran out): /healthz answers earlier, while a Redis store may still be connecting.
      started = await fetch(`${url}/readyz`).then(
        async (r) => ((await r.json()) as { config?: string }).config === 'loaded',
        () => false,
      );
      if (!started) await new Promise((r) => setTimeout(r, 100));
    }
  };
  void poll();
  try {
    // A safety net, not a wait: three gateways compiling under tsx on a busy 2-core machine can take a while.
    await waitFor(() => started || child.exitCode !== null, `gateway on ${port}`, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (!started) throw new Error(`gateway exited at start: ${output}`);
  return {
    url,
    configFile: file,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
