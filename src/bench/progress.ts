/**
 * The progress shown while a run goes: a `cli-progress` bar on a terminal
 * (loaded on demand; it is not a dependency of the package), one line every
 * few seconds otherwise.
 */
import type { Progress } from './runner.js';

export interface ProgressView {
  readonly update: (progress: Progress) => void;
  stop(): void;
}

function line(p: Progress): string {
  return `${p.phase} ${(p.elapsedMs / 1_000).toFixed(0)}/${(p.durationMs / 1_000).toFixed(0)} s | sent ${p.fired}/${p.planned} · served ${p.served} · refused ${p.refused} · failed ${p.failed} · in flight ${p.inFlight}`;
}

export async function progressView(label: string, options: { quiet?: boolean } = {}): Promise<ProgressView> {
  if (options.quiet) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    try {
      const { default: cliProgress } = await import('cli-progress');
      const bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {percentage}% | {status}`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      return {
        update(p) {
          const total = Math.max(1, p.durationMs);
          const value = Math.min(total, p.elapsedMs);
          if (!started) {
            bar.start(total, value, { status: line(p) });
            started = true;
          } else bar.update(value, { status: line(p) });
        },
        stop: () => bar.stop(),
      };
    } catch {
      // No cli-progress: plain lines below.
    }
  }
  let last = -Infinity;
  return {
    update(p) {
      if (p.elapsedMs - last < 5_000) return;
      last = p.elapsedMs;
      process.stderr.write(`${label} ${line(p)}\n`);
    },
    stop: () => undefined,
  };
}
