/**
 * The response cache's Lua scripts (`lua/` beside this file): `lib.lua`
 * followed by each script's own file, read and hashed once per process, run
 * through the stores' EVALSHA-then-EVAL-on-NOSCRIPT path
 * (`stores/redis/scripts.ts`). The build copies `lua/` next to the
 * compiled module.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LuaScript } from '../stores/redis/scripts.js';

export const CACHE_SCRIPT_NAMES = ['get', 'set', 'delete'] as const;
export type CacheScriptName = (typeof CACHE_SCRIPT_NAMES)[number];
export type CacheScripts = Readonly<Record<CacheScriptName, LuaScript>>;

let cached: CacheScripts | undefined;

function readLua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

export function loadCacheScripts(): CacheScripts {
  if (cached) return cached;
  const lib = readLua('lib');
  const entries = CACHE_SCRIPT_NAMES.map((name) => {
    const source = `${lib}\n${readLua(name)}`;
    const sha = createHash('sha1').update(source).digest('hex');
    return [name, Object.freeze({ name, source, sha })] as const;
  });
  cached = Object.freeze(Object.fromEntries(entries) as Record<CacheScriptName, LuaScript>);
  return cached;
}
