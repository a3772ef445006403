#!/usr/bin/env node
/** `sluice` command line: one subcommand per face, each registered from `commands/`. */
import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerPlan } from './commands/plan.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerSimulate } from './commands/simulate.js';

const program = new Command('sluice').description('LLM traffic governor').version('0.1.0');
registerServe(program);
registerBench(program);
registerSimulate(program);
registerPlan(program);
registerReport(program);

await program.parseAsync();
