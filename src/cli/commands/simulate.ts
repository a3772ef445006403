/**
 * `sluice simulate`: a fake OpenAI / Anthropic / Gemini with faithful rate
 * limits, streaming and faults. Flags cover the common knobs; a YAML file
 * (`--config`) covers everything. Flags win over the file.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { describeSimulator } from '../../simulator/describe.js';
import {
  FAULT_KINDS,
  type FaultSpec,
  type LimitSet,
  loadSimulatorConfigFile,
  parseSimulatorConfig,
  SimulatorConfigError,
  type SimulatorConfigInput,
  startSimulator,
} from '../../simulator/index.js';

interface SimulateFlags {
  config?: string;
  host?: string;
  port?: number;
  seed?: number;
  auth?: 'any' | 'listed' | 'none';
  rpm?: number;
  tpm?: number;
  itpm?: number;
  otpm?: number;
  rpd?: number;
  tpd?: number;
  concurrency?: number;
  mode?: 'lorem' | 'echo' | 'fixed';
  tokens?: number;
  text?: string;
  ttftMs?: number;
  perTokenMs?: number;
  jitter?: number;
  promptTokenMultiplier?: number;
  fault: FaultSpec[];
}

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

/** `--fault kind[:rate]`, e.g. `503:0.01` or `reset_mid_stream:0.05`; repeatable. */
function fault(value: string, previous: FaultSpec[]): FaultSpec[] {
  const [kind, rate = '1'] = value.split(':');
  if (!(FAULT_KINDS as readonly string[]).includes(kind ?? '')) {
    throw new InvalidArgumentError(`unknown fault kind "${kind}"; one of ${FAULT_KINDS.join(', ')}`);
  }
  const r = Number(rate);
  if (!(r >= 0 && r <= 1)) throw new InvalidArgumentError('the rate after ":" must be between 0 and 1');
  return [...previous, { kind: kind as FaultSpec['kind'], rate: r }];
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run a fake OpenAI / Anthropic / Gemini API with faithful rate limits, streaming and faults')
    .option('-c, --config <file>', 'YAML configuration (see README, "Simulator")')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('-p, --port <port>', 'port (default 0: any free port)', number)
    .option('--seed <n>', 'seed of faults, jitter and lorem text', number)
    .addOption(new Option('--auth <mode>', 'which API keys are accepted').choices(['any', 'listed', 'none']))
    .option('--rpm <n>', 'default requests per minute of every key × model', number)
    .option('--tpm <n>', 'default tokens per minute', number)
    .option('--itpm <n>', 'default input tokens per minute', number)
    .option('--otpm <n>', 'default output tokens per minute', number)
    .option('--rpd <n>', 'default requests per day', number)
    .option('--tpd <n>', 'default tokens per day', number)
    .option('--concurrency <n>', 'default concurrent requests', number)
    .addOption(new Option('--mode <mode>', 'what the model answers').choices(['lorem', 'echo', 'fixed']))
    .option('--tokens <n>', 'length of lorem answers, in tokens', number)
    .option('--text <text>', 'the answer in fixed mode')
    .option('--ttft-ms <ms>', 'time to first token', number)
    .option('--per-token-ms <ms>', 'time per output token', number)
    .option('--jitter <fraction>', 'latency jitter, 0 to 1', number)
    .option(
      '--prompt-token-multiplier <k>',
      "count prompts as k × Sluice's tokenizer (0.5 to 2), like a provider whose tokenizer differs",
      number,
    )
    .option('--fault <kind[:rate]>', `inject a fault (repeatable): ${FAULT_KINDS.join(', ')}`, fault, [])
    .action(runSimulate);
}

async function runSimulate(flags: SimulateFlags): Promise<void> {
  try {
    await simulate(flags);
  } catch (error) {
    // A configuration mistake is the user's to fix: say what and where, without a stack trace.
    if (!(error instanceof SimulatorConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 2;
  }
}

async function simulate(flags: SimulateFlags): Promise<void> {
  const file: SimulatorConfigInput = flags.config ? await loadSimulatorConfigFile(flags.config) : {};
  const limits: LimitSet = { ...file.defaults };
  for (const d of ['rpm', 'tpm', 'itpm', 'otpm', 'rpd', 'tpd', 'concurrency'] as const) {
    if (flags[d] !== undefined) limits[d] = flags[d];
  }
  const input: SimulatorConfigInput = {
    ...file,
    ...(flags.host !== undefined && { host: flags.host }),
    ...(flags.port !== undefined && { port: flags.port }),
    ...(flags.seed !== undefined && { seed: flags.seed }),
    ...(flags.auth !== undefined && { auth: flags.auth }),
    ...(Object.keys(limits).length > 0 && { defaults: limits }),
    response: {
      ...file.response,
      ...(flags.mode !== undefined && { mode: flags.mode }),
      ...(flags.tokens !== undefined && { tokens: flags.tokens }),
      ...(flags.text !== undefined && { text: flags.text }),
    },
    latency: {
      ...file.latency,
      ...(flags.ttftMs !== undefined && { ttft_ms: flags.ttftMs }),
      ...(flags.perTokenMs !== undefined && { per_token_ms: flags.perTokenMs }),
      ...(flags.jitter !== undefined && { jitter: flags.jitter }),
    },
    ...(flags.promptTokenMultiplier !== undefined && {
      token_counting: { ...file.token_counting, prompt_multiplier: flags.promptTokenMultiplier },
    }),
    faults: [...(file.faults ?? []), ...flags.fault],
  };
  // Validate here so that flag mistakes are reported like file mistakes.
  parseSimulatorConfig(
    input,
    flags.config ? `${flags.config} with the command-line flags` : 'the command-line flags',
  );
  const sim = await startSimulator(input);
  for (const line of describeSimulator(sim.config, sim.url)) console.log(line);
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
