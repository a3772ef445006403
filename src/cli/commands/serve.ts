/**
 * `sluice serve`: the gateway. `--config sluice.yaml` (or `SLUICE_CONFIG`)
 * for a real deployment, `--demo` for the built-in demo (`npm start`).
 * Signals: SIGHUP reloads the file (a bad file is refused, the old config
 * stays); SIGTERM / SIGINT drain and exit; a second one exits at once.
 * `--workers N` (or `server.workers`) runs N processes on the port with
 * shared limits (gateway/workers/cluster-primary.ts), same signals.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { GatewayConfigError, loadConfigFile } from '../../gateway/config/load.js';
import { MAX_WORKERS } from '../../gateway/config/schema.js';
import { startDemo } from '../../gateway/demo.js';
import { type Gateway, startGateway } from '../../gateway/server.js';
import { runPrimary } from '../../gateway/workers/cluster-primary.js';
import { runWorker } from '../../gateway/workers/cluster-worker.js';

interface ServeFlags {
  config?: string;
  demo?: boolean;
  host?: string;
  port?: number;
  workers?: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('expected a port number');
  return n;
}

function workers(value: string): number {
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS)
    throw new InvalidArgumentError(`expected a number of processes from 1 to ${MAX_WORKERS}, or auto`);
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the gateway: OpenAI- and Anthropic-compatible proxy with tenants, tiers and priorities')
    .option('-c, --config <file>', 'YAML configuration (default: $SLUICE_CONFIG); see examples/sluice.yaml')
    .option('--demo', 'built-in demo configuration: simulator upstream unless provider keys are set')
    .option('--host <host>', 'interface to bind (overrides listen.host)')
    .option('-p, --port <port>', 'port to bind (overrides listen.port)', port)
    .option(
      '-w, --workers <n|auto>',
      'processes serving the port with shared limits (overrides server.workers; auto: one per core)',
      workers,
    )
    .action(runServe);
}

async function runServe(flags: ServeFlags): Promise<void> {
  try {
    await serve(flags);
  } catch (error) {
    reportStartFailure(error);
    // A worker that cannot start must end: its IPC channel would keep it (and its primary waiting) alive.
    if (cluster.isWorker) process.exit(process.exitCode ?? 1);
  }
}

function reportStartFailure(error: unknown): void {
  // A configuration mistake is the user's to fix: say what and where, without a stack trace.
  if (error instanceof GatewayConfigError) {
    console.error(error.message);
    process.exitCode = 2;
    return;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const { address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
    console.error(
      `cannot listen on ${address}:${port} (${code}); change listen (or metrics.listen) in the config or pass --port`,
    );
    process.exitCode = 2;
    return;
  }
  throw error;
}

async function serve(flags: ServeFlags): Promise<void> {
  if (flags.demo) {
    const demo = await startDemo({
      ...(flags.host !== undefined && { host: flags.host }),
      ...(flags.port !== undefined && { port: flags.port }),
    });
    for (const line of demo.instructions) console.log(line);
    onSignals(demo.gateway, () => demo.close(), undefined);
    return;
  }
  const path = flags.config ?? process.env.SLUICE_CONFIG;
  if (!path) {
    throw new GatewayConfigError(
      'no configuration: pass --config sluice.yaml or set SLUICE_CONFIG (see examples/sluice.yaml), or try --demo',
    );
  }
  const config = await loadConfigFile(path);
  const processes = flags.workers ?? config.server.workers;
  const at = {
    ...(flags.host !== undefined && { host: flags.host }),
    ...(flags.port !== undefined && { port: flags.port }),
  };
  // One process is today's gateway, no cluster; more: this process forks them and runs none itself.
  if (cluster.isWorker) return runWorker({ config, configPath: path, ...at });
  if (processes > 1) return runPrimary({ config, configPath: path, workers: processes, ...at });
  const gateway = await startGateway({
    config,
    ...(flags.host !== undefined && { host: flags.host }),
    ...(flags.port !== undefined && { port: flags.port }),
  });
  console.error(
    `sluice gateway listening on ${gateway.url} (config ${path}); metrics ${gateway.metricsUrl ?? 'off'}; SIGHUP reloads, SIGTERM drains`,
  );
  onSignals(gateway, () => gateway.close().then(() => undefined), path);
}

function onSignals(gateway: Gateway, close: () => Promise<void>, configPath: string | undefined): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting for requests in flight`);
      process.exit(1);
    }
    stopping = true;
    gateway.logger.info({ signal }, 'draining: finishing requests in flight, then exiting');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    if (!configPath) {
      gateway.logger.warn('SIGHUP: the demo configuration is built in; nothing to reload');
      return;
    }
    void gateway.reloadFile(configPath);
  });
}
