#!/usr/bin/env node
/** `sluice` command line: one subcommand per face (serve, simulate, plan, bench). */
import { Command } from 'commander';
import { runDemo } from './demo.js';

const program = new Command('sluice').description('LLM traffic governor').version('0.1.0');

program
  .command('serve')
  .description('run the gateway (until it exists: a short demo of the core engine)')
  .option('--demo', 'use the built-in demo configuration')
  .action(async () => {
    await runDemo();
  });

await program.parseAsync();
