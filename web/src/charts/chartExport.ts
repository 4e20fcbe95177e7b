/**
 * A drawn chart as files: CSV of the data uPlot holds (the points on screen, after any
 * downsampling and smoothing), PNG of its canvas on the theme's background, and SVG polylines.
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

/** Each shown series as an SVG polyline in the chart's own pixel positions, with a title. */
export function chartSvg(chart: uPlot, title: string, colors: { background: string; text: string }): string {
  const { left, top, width, height } = chart.bbox;
  const ratio = window.devicePixelRatio || 1;
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
      const px = chart.valToPos(xs[i], "x");
      const py = chart.valToPos(y, scale);
      path += `${pen ? "L" : "M"}${px.toFixed(1)} ${py.toFixed(1)}`;
      pen = true;
    }
    if (path) parts.push(`<path d="${path}" fill="none" stroke="${escapeXml(stroke)}" stroke-width="1.5"><title>${escapeXml(label(series, s))}</title></path>`);
  });
  const frame = `<rect x="${(left / ratio).toFixed(1)}" y="${(top / ratio).toFixed(1)}" width="${(width / ratio).toFixed(1)}" height="${(height / ratio).toFixed(1)}" fill="none" stroke="${colors.text}" stroke-opacity="0.2"/>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
    `<rect width="100%" height="100%" fill="${colors.background}"/>`,
    `<text x="8" y="14" font-family="sans-serif" font-size="12" fill="${colors.text}">${escapeXml(title)}</text>`,
    frame,
    ...parts,
    "</svg>",
  ].join("\n");
}
