/** The simulator face: a fake OpenAI / Anthropic / Gemini with faithful limits, streaming and faults. */
export {
  type BackgroundSpec,
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
  type FaultSpecInput,
  type LimitSet,
  loadSimulatorConfigFile,
  parseSimulatorConfig,
  type SimulatorConfig,
  SimulatorConfigError,
  type SimulatorConfigInput,
} from './config.js';
export {
  type BucketStats,
  type KeyLimitChange,
  type ResetOptions,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  startSimulator,
} from './server.js';
export type { StatsSnapshot } from './stats.js';
