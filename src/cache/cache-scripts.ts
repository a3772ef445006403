/**
 * The response cache's Lua scripts (`lua/` beside this file): `lib.lua`
 * followed by each script's own file, read and hashed once per process, run
 * through the stores' EVALSHA-then-EVAL-on-NOSCRIPT path
 * (`stores/redis/scripts.ts`). The build copies `lua/` next to the
 * compiled module.
 */
import { type LuaScript, readLuaScripts } from '../stores/redis/scripts.js';

export const CACHE_SCRIPT_NAMES = ['get', 'set', 'delete'] as const;
export type CacheScriptName = (typeof CACHE_SCRIPT_NAMES)[number];
export type CacheScripts = Readonly<Record<CacheScriptName, LuaScript>>;

let cached: CacheScripts | undefined;

export function loadCacheScripts(): CacheScripts {
  cached ??= readLuaScripts(new URL('./lua/', import.meta.url), CACHE_SCRIPT_NAMES);
  return cached;
}
