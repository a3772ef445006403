/**
 * A private `redis-server` for a bench whose gateway runs as several
 * instances sharing one store: on 127.0.0.1 and a free port, nothing saved
 * to disk, stopped by its own pid when the run ends.
 */
import { connect } from 'node:net';
import { type ChildServer, freePort, startChild } from './process.js';
import { TargetUnavailableError } from './target.js';

export interface RedisProcess {
  readonly url: string;
  readonly server: ChildServer;
}

/** Resolves once the port accepts a connection and answers PING. */
async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function startRedisProcess(timeoutMs = 10_000): Promise<RedisProcess> {
  const port = await freePort();
  const server = startChild('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  const failed = new Promise<string>((resolve) => server.child.once('error', (e) => resolve(e.message)));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const error = await Promise.race([
      failed,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
    ]);
    if (error !== undefined || server.child.exitCode !== null) {
      throw new TargetUnavailableError(`redis-server did not start: ${error ?? server.output().trim()}`);
    }
    if (await answersPing(port)) return { url: `redis://127.0.0.1:${port}`, server };
  }
  await server.stop();
  throw new TargetUnavailableError(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}
