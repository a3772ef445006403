/**
 * Small static SVG charts written by hand (no charting dependency): line
 * panels with axes, grid, reference lines and a legend, and grouped bars.
 */

export interface LinePanel {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly { name: string; points: readonly (readonly [number, number])[] }[];
  /** Horizontal reference lines, e.g. the provider's limit. */
  readonly marks?: readonly { name: string; y: number }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
const WIDTH = 760;
const PANEL_HEIGHT = 190;
const MARGIN = { left: 70, right: 150, top: 28, bottom: 34 };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" upper bound and step for an axis reaching `max`. */
export function niceScale(max: number, ticks = 4): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.25 };
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  return { max: Math.ceil(max / step) * step, step };
}

export function formatTick(v: number): string {
  if (Math.abs(v) >= 1_000_000) return `${+(v / 1_000_000).toFixed(1)}M`;
  if (Math.abs(v) >= 1_000) return `${+(v / 1_000).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

/** Stacked line panels sharing one time axis (seconds). */
export function lineChart(title: string, panels: readonly LinePanel[]): string {
  const height = 30 + panels.length * PANEL_HEIGHT;
  const xMax = Math.max(
    1,
    ...panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x / 1_000))),
  );
  const xs = niceScale(xMax, 6);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const top = 30 + index * PANEL_HEIGHT + MARGIN.top;
    const yMax = Math.max(
      0,
      ...panel.series.flatMap((s) => s.points.map(([, y]) => y)),
      ...(panel.marks ?? []).map((m) => m.y),
    );
    const ys = niceScale(yMax * 1.05);
    const x = (v: number) => MARGIN.left + (v / 1_000 / xs.max) * plotW;
    const y = (v: number) => top + plotH - (v / ys.max) * plotH;
    parts.push(
      `<text x="${MARGIN.left}" y="${top - 8}" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    for (let v = 0; v <= ys.max + 1e-9; v += ys.step) {
      parts.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
        `<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${formatTick(v)}</text>`,
      );
    }
    for (let v = 0; v <= xs.max + 1e-9; v += xs.step) {
      const px = (MARGIN.left + (v / xs.max) * plotW).toFixed(1);
      parts.push(
        `<line x1="${px}" x2="${px}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#333"/>`,
        `<text x="${px}" y="${top + plotH + 16}" text-anchor="middle">${formatTick(v)}</text>`,
      );
    }
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
      `<text x="${MARGIN.left + plotW / 2}" y="${top + plotH + 29}" text-anchor="middle" fill="#555">time (s)</text>`,
      `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#555">${escapeXml(panel.yLabel)}</text>`,
    );
    const legend: string[] = [];
    for (const mark of panel.marks ?? []) {
      parts.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(mark.y).toFixed(1)}" y2="${y(mark.y).toFixed(1)}" stroke="#555" stroke-dasharray="6 4"/>`,
      );
      legend.push(
        `<line x1="0" x2="18" y1="0" y2="0" stroke="#555" stroke-dasharray="6 4"/><text x="24" y="4">${escapeXml(mark.name)}</text>`,
      );
    }
    panel.series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length] as string;
      const d = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
      if (d) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${d}"/>`);
      legend.push(
        `<line x1="0" x2="18" y1="0" y2="0" stroke="${color}" stroke-width="2.5"/><text x="24" y="4">${escapeXml(s.name)}</text>`,
      );
    });
    legend.forEach((item, i) => {
      parts.push(`<g transform="translate(${MARGIN.left + plotW + 14} ${top + 8 + i * 16})">${item}</g>`);
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export interface BarGroup {
  readonly label: string;
  /** One value per series; undefined draws nothing (did not run). */
  readonly values: readonly (number | undefined)[];
}

/** Grouped vertical bars, e.g. goodput per scenario (groups) and target (series). */
export function barChart(options: {
  title: string;
  yLabel: string;
  series: readonly string[];
  groups: readonly BarGroup[];
  marks?: readonly { name: string; y: number }[];
  format?: (v: number) => string;
}): string {
  const height = 300;
  const top = 40;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = height - top - 50;
  const format = options.format ?? formatTick;
  const yMax = Math.max(
    0,
    ...options.groups.flatMap((g) => g.values.filter((v): v is number => v !== undefined)),
    ...(options.marks ?? []).map((m) => m.y),
  );
  const ys = niceScale(yMax * 1.08, 5);
  const y = (v: number) => top + plotH - (v / ys.max) * plotH;
  const groupW = plotW / Math.max(1, options.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, options.series.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (let v = 0; v <= ys.max + 1e-9; v += ys.step) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${format(v)}</text>`,
    );
  }
  options.groups.forEach((group, gi) => {
    const gx = MARGIN.left + gi * groupW + groupW * 0.1;
    group.values.forEach((v, si) => {
      const bx = gx + si * barW;
      if (v === undefined) {
        parts.push(
          `<text x="${(bx + barW / 2).toFixed(1)}" y="${top + plotH - 4}" text-anchor="middle" fill="#999">–</text>`,
        );
        return;
      }
      if (v === 0) {
        // A zero is a result, not a missing bar: say it.
        parts.push(
          `<text x="${(bx + barW / 2).toFixed(1)}" y="${top + plotH - 4}" text-anchor="middle" fill="${COLORS[si % COLORS.length]}" font-weight="bold">0</text>`,
        );
        return;
      }
      parts.push(
        `<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`,
      );
    });
    parts.push(
      `<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${escapeXml(group.label)}</text>`,
    );
  });
  for (const mark of options.marks ?? []) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(mark.y).toFixed(1)}" y2="${y(mark.y).toFixed(1)}" stroke="#555" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + plotW - 4}" y="${(y(mark.y) - 4).toFixed(1)}" text-anchor="end" fill="#555">${escapeXml(mark.name)}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#555">${escapeXml(options.yLabel)}</text>`,
  );
  options.series.forEach((name, i) => {
    parts.push(
      `<g transform="translate(${MARGIN.left + plotW + 14} ${top + 8 + i * 16})"><rect x="0" y="-7" width="14" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="20" y="2">${escapeXml(name)}</text></g>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
