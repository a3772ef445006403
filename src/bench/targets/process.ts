/**
 * Child processes the bench runs a target in (a gateway), on 127.0.0.1 and
 * a free port, stopped by their own pid when the run ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  readonly child: ChildProcess;
  /** The last lines it wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface ChildOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Called with every whole line the child writes to stdout (e.g. JSON logs). */
  readonly onLine?: (line: string) => void;
}

export function startChild(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): ChildServer {
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let partial = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    keep(chunk);
    if (!options.onLine) return;
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  });
  child.stderr?.on('data', keep);
  return {
    child,
    output: () => tail,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes; the child's exit ends the wait early. */
export async function waitUntilUp(url: string, server: ChildServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(`exited with code ${server.child.exitCode}: ${server.output().trim().slice(-800)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`no answer on ${url} after ${timeoutMs} ms: ${server.output().trim().slice(-800)}`);
}
