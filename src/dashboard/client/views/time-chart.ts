/**
 * One uPlot chart over the series' time axis. Its lines can change (a
 * refusal code appears, the cache line becomes relevant): the chart is then
 * rebuilt, otherwise only its data is replaced. It follows its container's
 * width, so the grid reflows from 1280 px down to a phone.
 */
import uPlot from 'uplot';
import { clockTime } from '../format.js';

export interface LineSpec {
  readonly label: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  /** Limit lines are dashed and thin. */
  readonly dashed?: boolean;
  readonly width?: number;
}

/** A moment worth a vertical line and a word (a limit the provider's headers changed). */
export interface Marker {
  /** Epoch ms. */
  readonly at: number;
  readonly label: string;
}

/** How the y axis reads. */
export interface AxisStyle {
  readonly label: (value: number) => string;
  /** Counts of things (queue depth): no ticks between whole numbers. */
  readonly integer?: boolean;
}

const HEIGHT = 170;
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 100_000, 1_000_000];

export class TimeChart {
  private plot: uPlot | undefined;
  private signature = '';
  private markers: readonly Marker[] = [];
  private readonly host: HTMLElement;

  constructor(
    readonly root: HTMLElement,
    private readonly axis: AxisStyle,
  ) {
    this.host = root.querySelector('.chart-plot') as HTMLElement;
    new ResizeObserver(() => this.resize()).observe(this.host);
  }

  update(times: readonly number[], lines: readonly LineSpec[], markers: readonly Marker[] = []): void {
    this.markers = markers;
    this.root.dataset.markers = String(markers.length);
    const signature = lines.map((l) => `${l.label}|${l.color}|${l.dashed ?? false}`).join(';');
    const data: uPlot.AlignedData = [times.map((t) => t / 1000), ...lines.map((l) => [...l.values])];
    if (!this.plot || signature !== this.signature) {
      this.plot?.destroy();
      this.signature = signature;
      this.plot = new uPlot(this.options(lines), data, this.host);
    } else {
      this.plot.setData(data);
    }
  }

  /** Each marker as a dotted vertical line with its label at the top, inside the plot. */
  private drawMarkers(u: uPlot): void {
    if (this.markers.length === 0) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = '#ae3ec9';
    ctx.fillStyle = '#862e9c';
    ctx.lineWidth = devicePixelRatio;
    ctx.setLineDash([2 * devicePixelRatio, 3 * devicePixelRatio]);
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    for (const m of this.markers) {
      const x = u.valToPos(m.at / 1000, 'x', true);
      if (x < left || x > left + width) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(
        m.label,
        Math.min(x + 4 * devicePixelRatio, left + width - ctx.measureText(m.label).width),
        top + 12 * devicePixelRatio,
      );
    }
    ctx.restore();
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth));
  }

  private resize(): void {
    if (this.plot && Math.abs(this.plot.width - this.width()) > 1)
      this.plot.setSize({ width: this.width(), height: HEIGHT });
  }

  private options(lines: readonly LineSpec[]): uPlot.Options {
    const { label, integer } = this.axis;
    return {
      width: this.width(),
      height: HEIGHT,
      legend: { show: true, live: false },
      hooks: { draw: [(u) => this.drawMarkers(u)] },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: true },
        // Rates and depths start at zero: a chart that zooms onto noise reads as an alarm.
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.12 : 1] },
      },
      axes: [
        {
          stroke: '#5b6472',
          grid: { stroke: '#eceef2', width: 1 },
          ticks: { stroke: '#d5d9e0', width: 1 },
          size: 32,
          // Room for an "hh:mm:ss" label per tick, so they never run into each other.
          space: 72,
          // Wall-clock times, with seconds only when ticks are closer than a minute.
          values: (_u, values, _axis, _space, increment) =>
            values.map((v) => clockTime(v * 1000, increment < 60)),
        },
        {
          stroke: '#5b6472',
          grid: { stroke: '#eceef2', width: 1 },
          ticks: { stroke: '#d5d9e0', width: 1 },
          size: 62,
          ...(integer && { incrs: INTEGER_STEPS }),
          values: (_u, values) => values.map(label),
        },
      ],
      series: [
        {},
        ...lines.map(
          (l): uPlot.Series => ({
            label: l.label,
            stroke: l.color,
            width: l.width ?? (l.dashed ? 1.25 : 1.75),
            ...(l.dashed && { dash: [6, 4] }),
            points: { show: false },
            spanGaps: false,
          }),
        ),
      ],
    };
  }
}
