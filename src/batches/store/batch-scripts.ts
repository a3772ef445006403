/**
 * The batch store's Lua scripts (`lua/` beside this file): `lib.lua`
 * followed by each script's own file, read and hashed once per process, run
 * through the stores' EVALSHA-then-EVAL-on-NOSCRIPT path
 * (`stores/redis/scripts.ts`). The build copies `lua/` next to the
 * compiled module.
 */
import { type LuaScript, readLuaScripts } from '../../stores/redis/scripts.js';

export const BATCH_SCRIPT_NAMES = ['claim', 'complete', 'transition'] as const;
export type BatchScriptName = (typeof BATCH_SCRIPT_NAMES)[number];
export type BatchScripts = Readonly<Record<BatchScriptName, LuaScript>>;

let cached: BatchScripts | undefined;

export function loadBatchScripts(): BatchScripts {
  cached ??= readLuaScripts(new URL('./lua/', import.meta.url), BATCH_SCRIPT_NAMES);
  return cached;
}
