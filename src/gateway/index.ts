/**
 * The gateway face as a module (`sluice/gateway`): start `sluice serve` in
 * a process of your own — an integration test, or a server that adds routes
 * of its own — with a config parsed from YAML text, a file or an object.
 */
export {
  type Env,
  GatewayConfigError,
  loadConfigFile,
  parseConfig,
  parseConfigText,
} from './config/load.js';
export type { GatewayConfig, GatewayConfigInput } from './config/schema.js';
export { type Gateway, type GatewayOptions, startGateway } from './server.js';
