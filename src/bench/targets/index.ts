/** Target names → factories; the ones that need another process or package load it on demand. */
import { bottleneckTarget } from './bottleneck.js';
import { directTarget } from './direct.js';
import { fallbackTarget } from './fallback.js';
import { gatewayTarget } from './gateway.js';
import { libraryTarget } from './library.js';
import { portkeyTarget } from './portkey.js';
import type { BenchTarget, TargetEnv, TargetName } from './target.js';

export interface TargetOptions {
  /** Where the Portkey gateway is installed on demand. */
  readonly portkeyDir?: string;
}

export async function createTarget(
  name: TargetName,
  env: TargetEnv,
  options: TargetOptions = {},
): Promise<BenchTarget> {
  switch (name) {
    case 'direct':
      return directTarget(env);
    case 'fallback':
      return fallbackTarget(env);
    case 'bottleneck':
      return bottleneckTarget(env);
    case 'library':
      return libraryTarget(env);
    case 'gateway':
      return gatewayTarget(env);
    case 'portkey':
      return portkeyTarget(env, options.portkeyDir);
  }
}
