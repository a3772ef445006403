/** Starts `governed-client.ts` in separate OS processes and collects their results. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientConfig, ClientResult } from './governed-client.js';

const SCRIPT = fileURLToPath(new URL('./governed-client.ts', import.meta.url));

export interface ClientProcess {
  readonly child: ChildProcess;
  /** Resolves with the result line, the exit code and stderr once the process exits. */
  readonly done: Promise<{ result: ClientResult | undefined; code: number | null; stderr: string }>;
  readonly ready: Promise<void>;
  go(): void;
}

export function startClient(config: ClientConfig): ClientProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ result: ClientResult | undefined; code: number | null; stderr: string }>(
    (resolve) => {
      child.on('exit', (code) => {
        const line = stdout.split('\n').find((l) => l.startsWith('result:'));
        const result = line ? (JSON.parse(line.slice('result:'.length)) as ClientResult) : undefined;
        resolve({ result, code, stderr });
      });
    },
  );
  return {
    child,
    done,
    ready: Promise.race([
      ready,
      done.then(({ stderr: err }) => {
        throw new Error(`client exited before ready: ${err}`);
      }),
    ]),
    go: () => child.stdin?.write('go\n'),
  };
}
