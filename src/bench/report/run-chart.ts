/** The chart written beside each run's JSON: throughput against the limit, queue depth per class, refusals. */
import type { RunResult } from '../runner.js';
import type { Scenario } from '../scenario.js';
import type { RunSummary } from '../summary.js';
import { type LinePanel, lineChart } from './svg.js';
import { timelineOf } from './timeline.js';

export function runChart(summary: RunSummary, run: RunResult, scenario: Scenario): string {
  const timeline = timelineOf(run);
  const tpm = scenario.provider.limits.tpm;
  const background = scenario.provider.background?.tpm ?? 0;
  const marks: { name: string; y: number }[] = [];
  if (tpm) marks.push({ name: 'TPM limit', y: tpm });
  if (tpm && background) marks.push({ name: 'limit − others', y: tpm - background });
  const panels: LinePanel[] = [
    {
      title: 'Served tokens per minute (5 s window)',
      yLabel: 'tokens/min',
      series: timeline.throughput,
      marks,
    },
    {
      title: timeline.queueKnown
        ? 'Queue depth per priority class'
        : 'Requests in flight (the target has no visible queue)',
      yLabel: 'requests',
      series: timeline.queue,
    },
    { title: 'Refusals and failures per second', yLabel: 'per second', series: timeline.refusals },
  ];
  return lineChart(`${summary.scenario} · ${summary.target}`, panels);
}
