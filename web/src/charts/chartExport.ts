/**
 * A drawn chart as files: CSV of the data uPlot holds (the points on screen, after any
 * downsampling and smoothing), PNG of its canvas on the theme's background, and SVG of its
 * lines and axes.
 */
import type uPlot from "uplot";
import { toCsv } from "../lib/csv";

function label(series: uPlot.Series, index: number): string {
  const text = typeof series.label === "string" ? series.label : "";
  return text || `series ${index}`;
}

/** One row per x value: x, then each series' y (empty where it has none). */
export function chartCsv(chart: Pick<uPlot, "data" | "series">, xLabel: string): string {
  const xs = chart.data[0];
  const columns = chart.data.slice(1);
  const header = [xLabel, ...chart.series.slice(1).map((s, i) => label(s, i + 1))];
  const rows: unknown[][] = [];
  for (let i = 0; i < xs.length; i++) rows.push([xs[i], ...columns.map((c) => c[i] ?? null)]);
  return toCsv(header, rows);
}

/** The chart's canvas on an opaque background (a transparent PNG is unreadable on dark slides). */
export function chartPng(chart: uPlot, background: string): Promise<Blob> {
  const source = chart.ctx.canvas;
  const canvas = document.createElement("canvas");
  canvas.width = source.width;
  canvas.height = source.height;
  const context = canvas.getContext("2d");
  if (!context) return Promise.reject(new Error("this browser cannot draw the chart to an image"));
  context.fillStyle = background;
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the chart could not be encoded as PNG"))), "image/png");
  });
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);
}

/** What uPlot keeps about an axis after a draw: its tick values and their labels, and its place. */
interface DrawnAxis {
  show?: boolean;
  _show?: boolean;
  side?: number;
  scale?: string;
  label?: unknown;
  gap?: number;
  ticks?: { show?: boolean; size?: number };
  _pos?: number;
  _size?: number;
  _splits?: readonly number[] | null;
  _values?: readonly (string | number | null)[] | null;
}

/** The parts of a drawn chart an SVG export reads. */
export type SvgChart = Pick<uPlot, "bbox" | "width" | "height" | "data" | "series" | "valToPos"> & {
  axes: readonly uPlot.Axis[];
  scales: Record<string, { distr?: number } | undefined>;
  pxRatio?: number;
};

export interface SvgText {
  background: string;
  text: string;
  /** The x axis's title (the x mode: step, time, …); the y axis uses its uPlot label, if any. */
  xLabel?: string;
}

const FONT = 'font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif" font-size="11"';

/**
 * Each axis as the canvas draws it: a tick and its label at every split uPlot chose (the same
 * text, multi-line time labels included), faint grid lines, and the axis title.
 */
function axisSvg(chart: SvgChart, plot: { left: number; top: number; width: number; height: number }, colors: SvgText): string[] {
  const parts: string[] = [];
  const data0 = chart.data[0];
  chart.axes.forEach((raw, index) => {
    const axis = raw as unknown as DrawnAxis;
    if (axis.show === false || axis._show === false) return;
    const side = axis.side ?? (index === 0 ? 2 : 3);
    const horizontal = side % 2 === 0;
    const scaleKey = axis.scale ?? (index === 0 ? "x" : "y");
    const splits = axis._splits ?? [];
    const values = axis._values ?? [];
    const ordinal = chart.scales[scaleKey]?.distr === 2;
    const tick = axis.ticks?.show === false ? 0 : (axis.ticks?.size ?? 4);
    const outward = side === 0 || side === 3 ? -1 : 1;
    const base = axis._pos ?? (horizontal ? plot.top + plot.height : plot.left);
    const labelAt = base + (tick + (axis.gap ?? 4)) * outward;
    splits.forEach((split, i) => {
      const value = ordinal ? data0[split] : split;
      const offset = chart.valToPos(value, scaleKey);
      if (!Number.isFinite(offset)) return;
      const at = (horizontal ? plot.left : plot.top) + offset;
      const [x1, y1, x2, y2] = horizontal ? [at, plot.top, at, plot.top + plot.height] : [plot.left, at, plot.left + plot.width, at];
      parts.push(`<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${escapeXml(colors.text)}" stroke-opacity="0.12"/>`);
      if (tick > 0) {
        const [t1, t2] = [base, base + tick * outward];
        const line = horizontal ? [at, t1, at, t2] : [t1, at, t2, at];
        parts.push(`<line x1="${line[0].toFixed(1)}" y1="${line[1].toFixed(1)}" x2="${line[2].toFixed(1)}" y2="${line[3].toFixed(1)}" stroke="${escapeXml(colors.text)}" stroke-opacity="0.3"/>`);
      }
      const text = values.at(i);
      if (text === null || text === undefined || text === "") return;
      const lines = String(text).split("\n");
      const x = horizontal ? at : labelAt;
      const y = horizontal ? labelAt : at;
      const anchor = horizontal ? "middle" : side === 3 ? "end" : "start";
      const baseline = horizontal ? (side === 2 ? "hanging" : "auto") : "middle";
      const spans = lines.map((line, j) => `<tspan x="${x.toFixed(1)}" dy="${j === 0 ? 0 : 16.5}">${escapeXml(line)}</tspan>`).join("");
      parts.push(`<text class="tick" x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" dominant-baseline="${baseline}" ${FONT} fill="${escapeXml(colors.text)}">${spans}</text>`);
    });
    const title = typeof axis.label === "string" && axis.label ? axis.label : index === 0 ? (colors.xLabel ?? "") : "";
    if (!title) return;
    if (horizontal) {
      const y = side === 2 ? chart.height - 2 : 12;
      parts.push(`<text class="axis-title" x="${(plot.left + plot.width / 2).toFixed(1)}" y="${y}" text-anchor="middle" ${FONT} fill="${escapeXml(colors.text)}">${escapeXml(title)}</text>`);
    } else {
      const x = side === 3 ? 10 : chart.width - 4;
      const y = plot.top + plot.height / 2;
      parts.push(`<text class="axis-title" x="${x}" y="${y.toFixed(1)}" text-anchor="middle" transform="rotate(-90 ${x} ${y.toFixed(1)})" ${FONT} fill="${escapeXml(colors.text)}">${escapeXml(title)}</text>`);
    }
  });
  return parts;
}

/**
 * The chart as SVG in the chart's own CSS-pixel layout: each shown series as a path (with its
 * label as a title), the axes' ticks, tick labels and titles, and the chart's title.
 */
export function chartSvg(chart: SvgChart, title: string, colors: SvgText): string {
  const ratio = chart.pxRatio ?? (window.devicePixelRatio || 1);
  const plot = { left: chart.bbox.left / ratio, top: chart.bbox.top / ratio, width: chart.bbox.width / ratio, height: chart.bbox.height / ratio };
  const w = Math.round(chart.width);
  const h = Math.round(chart.height);
  const xs = chart.data[0];
  const parts: string[] = [];
  chart.series.forEach((series, s) => {
    if (s === 0 || series.show === false) return;
    const ys = chart.data[s];
    const scale = series.scale ?? "y";
    const stroke = typeof series.stroke === "string" ? series.stroke : "#4e79e7";
    let path = "";
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y === null || y === undefined || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      // valToPos answers from the plotting area's corner, not the chart's.
      const px = plot.left + chart.valToPos(xs[i], "x");
      const py = plot.top + chart.valToPos(y, scale);
      path += `${pen ? "L" : "M"}${px.toFixed(1)} ${py.toFixed(1)}`;
      pen = true;
    }
    if (path) parts.push(`<path d="${path}" fill="none" stroke="${escapeXml(stroke)}" stroke-width="1.5"><title>${escapeXml(label(series, s))}</title></path>`);
  });
  const frame = `<rect x="${plot.left.toFixed(1)}" y="${plot.top.toFixed(1)}" width="${plot.width.toFixed(1)}" height="${plot.height.toFixed(1)}" fill="none" stroke="${escapeXml(colors.text)}" stroke-opacity="0.2"/>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    `<rect width="100%" height="100%" fill="${escapeXml(colors.background)}"/>`,
    `<text x="8" y="14" font-family="sans-serif" font-size="12" fill="${escapeXml(colors.text)}">${escapeXml(title)}</text>`,
    ...axisSvg(chart, plot, colors),
    frame,
    ...parts,
    "</svg>",
  ].join("\n");
}
