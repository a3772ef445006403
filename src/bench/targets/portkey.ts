/**
 * The Portkey AI gateway (`@portkey-ai/gateway`, pinned), installed on demand
 * into a cache directory (never a dependency of this package), run in its
 * own process on 127.0.0.1 and pointed at the provider with its documented
 * headers. Its retry setting is on (429 and 5xx, honouring retry-after,
 * as many retries as the SDK's default), and the SDK in front does not
 * retry: one retry layer per target.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type ChildServer, freePort, startChild, waitUntilUp } from './process.js';
import { callSdk, sdkClient } from './sdk-call.js';
import { type BenchTarget, type TargetEnv, TargetUnavailableError } from './target.js';

export const PORTKEY_PACKAGE = '@portkey-ai/gateway@1.15.2';
const PORTKEY_ENTRY = ['node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js'];

/** Portkey listens on every interface and has no flag for it: this preload binds its server to loopback. */
const LOOPBACK_PRELOAD = `import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    args.splice(1, args[1] === undefined ? 1 : 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
`;

export const PORTKEY_RETRY = {
  attempts: 2,
  on_status_codes: [429, 500, 502, 503, 504],
  use_retry_after_header: true,
};

export function defaultPortkeyDir(): string {
  return join(tmpdir(), 'sluice-bench', 'portkey');
}

/** Installs the pinned package into `dir` unless it is there; returns the server's entry file. */
export async function installPortkey(dir: string): Promise<string> {
  const entry = join(dir, ...PORTKEY_ENTRY);
  if (existsSync(entry)) return entry;
  await mkdir(dir, { recursive: true });
  try {
    await promisify(execFile)(
      'npm',
      [
        'install',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--prefix',
        dir,
        PORTKEY_PACKAGE,
      ],
      { timeout: 300_000 },
    );
  } catch (error) {
    throw new TargetUnavailableError(`npm install ${PORTKEY_PACKAGE} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!existsSync(entry))
    throw new TargetUnavailableError(`${PORTKEY_PACKAGE} installed but ${entry} is missing`);
  return entry;
}

export interface PortkeyServer {
  readonly url: string;
  readonly server: ChildServer;
}

export async function startPortkey(dir = defaultPortkeyDir()): Promise<PortkeyServer> {
  const entry = await installPortkey(dir);
  const preload = join(dir, 'loopback-only.mjs');
  await writeFile(preload, LOOPBACK_PRELOAD);
  const port = await freePort();
  const server = startChild(
    process.execPath,
    ['--import', pathToFileURL(preload).href, entry, `--port=${port}`, '--headless'],
    { env: { NODE_ENV: 'production' } },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(url, server);
  } catch (error) {
    await server.stop();
    throw new TargetUnavailableError(`Portkey did not start: ${(error as Error).message}`, { cause: error });
  }
  return { url, server };
}

/** The headers that point Portkey at an OpenAI-compatible provider on a custom host. */
export function portkeyHeaders(providerBaseUrl: string): Record<string, string> {
  return {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': providerBaseUrl,
    'x-portkey-config': JSON.stringify({ retry: PORTKEY_RETRY }),
  };
}

export async function portkeyTarget(env: TargetEnv, dir?: string): Promise<BenchTarget> {
  const portkey = await startPortkey(dir);
  const client = await sdkClient({
    baseURL: `${portkey.url}/v1`,
    apiKey: env.apiKey,
    defaultHeaders: portkeyHeaders(env.providerBaseUrl),
    maxRetries: 0,
    onResponse(headers, record) {
      const retries = Number(headers.get('x-portkey-retry-attempt-count'));
      if (Number.isFinite(retries) && retries > 0) record.targetRetries += retries;
    },
  });
  return {
    name: 'portkey',
    sendsWith: [env.apiKey],
    description: `openai SDK (maxRetries 0: Portkey retries) → ${PORTKEY_PACKAGE} (own process) with retry ${JSON.stringify(PORTKEY_RETRY)}`,
    send: (record, signal) => callSdk(client, record, { model: env.scenario.model, signal, now: env.now }),
    close: () => portkey.server.stop(),
  };
}
