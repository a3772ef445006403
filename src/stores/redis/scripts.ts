/**
 * Loads the Lua scripts beside this file and runs them by EVALSHA.
 *
 * Each script is `lua/lib.lua` (shared arithmetic and time) followed by its
 * own file, read once per process. `preload` runs SCRIPT LOAD on every
 * primary at start (a syntax error fails there, not on the first request);
 * `run` sends EVALSHA and, when the server answers NOSCRIPT (a restarted or
 * flushed Redis, a new cluster node), resends once as EVAL, which also puts
 * the script back in that server's cache.
 *
 * The `.lua` files are found next to this module both under `src/` (tests,
 * tsx) and under `dist/` (the build script copies them).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export const SCRIPT_NAMES = ['reserve', 'settle', 'renew', 'sync', 'pause', 'peek', 'stats'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** A Lua script as sent to Redis: its text and the SHA-1 EVALSHA names it by. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export interface Script extends LuaScript {
  readonly name: ScriptName;
}

export type Scripts = Readonly<Record<ScriptName, Script>>;

export type RedisClient = Redis | Cluster;

export type ScriptArg = string | number;

let cached: Scripts | undefined;

/** Library files a script needs besides lib.lua, loaded between the two. */
const PRELUDES: Partial<Record<ScriptName, readonly string[]>> = { reserve: ['demand'] };

/** The scripts, read from disk once per process. */
export function loadScripts(): Scripts {
  cached ??= readLuaScripts(new URL('./lua/', import.meta.url), SCRIPT_NAMES, PRELUDES);
  return cached;
}

/**
 * Each of `names` from the folder `dir`: `lib.lua`, the script's `preludes`,
 * then `<name>.lua`, hashed as EVALSHA names it. (The response cache's
 * scripts load this way too, from their own folder.)
 */
export function readLuaScripts<N extends string>(
  dir: URL,
  names: readonly N[],
  preludes: Partial<Record<N, readonly string[]>> = {},
): Readonly<Record<N, LuaScript & { readonly name: N }>> {
  const read = (file: string) => readFileSync(new URL(`${file}.lua`, dir), 'utf8');
  const lib = read('lib');
  const entries = names.map((name) => {
    const parts = [lib, ...(preludes[name] ?? []).map(read), read(name)];
    const source = parts.join('\n');
    const sha = createHash('sha1').update(source).digest('hex');
    return [name, Object.freeze({ name, source, sha })] as const;
  });
  return Object.freeze(Object.fromEntries(entries) as Record<N, LuaScript & { readonly name: N }>);
}

/**
 * The code of a Redis error reply: its first word by the protocol's
 * convention (`NOSCRIPT`, `BUSY`, `LOADING`, `MOVED`…), or undefined for an
 * error that did not come from the server.
 */
export function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined;
  const space = error.message.indexOf(' ');
  return space < 0 ? error.message : error.message.slice(0, space);
}

/** Runs `script`: EVALSHA, and once EVAL if the server does not have it. */
export async function runScript(
  client: RedisClient,
  script: LuaScript,
  numKeys: number,
  args: ScriptArg[],
  onReload?: () => void,
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, numKeys, ...args);
  } catch (error) {
    if (replyCode(error) !== 'NOSCRIPT') throw error;
    onReload?.();
    return client.eval(script.source, numKeys, ...args);
  }
}

/** The servers scripts must be loaded on: the client itself, or every cluster primary. */
export function primaries(client: RedisClient): Redis[] {
  return client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
}

/** SCRIPT LOAD of every script on every primary; checks the server hashed what we did. */
export async function preloadScripts(
  client: RedisClient,
  scripts: Readonly<Record<string, LuaScript>>,
): Promise<void> {
  const loads: Promise<void>[] = [];
  for (const node of primaries(client)) {
    for (const script of Object.values(scripts)) {
      loads.push(
        (node.script('LOAD', script.source) as Promise<unknown>).then((sha) => {
          if (sha !== script.sha) throw new Error(`SCRIPT LOAD of ${script.name} returned ${String(sha)}`);
        }),
      );
    }
  }
  await Promise.all(loads);
}
