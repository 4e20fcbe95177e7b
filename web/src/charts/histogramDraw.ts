/** Drawing histograms on canvas: the heatmap of a grid, and one step's bars. */
import type { HistogramGrid } from "../lib/histogramGrid";
import type { ChartColors } from "./axes";

export const HEATMAP_HEIGHT = 150;
export const BARS_HEIGHT = 110;

/** Fits a canvas's backing store to its CSS width (device pixels), returning the 2D context. */
function sized(canvas: HTMLCanvasElement, height: number): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round((canvas.clientWidth || canvas.parentElement?.clientWidth || 300) * ratio));
  const pixels = Math.round(height * ratio);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== pixels) canvas.height = pixels;
  return canvas.getContext("2d");
}

function hexRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1, 7), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** One pixel column per step column and value row, written straight into an ImageData. */
export function drawHeatmap(canvas: HTMLCanvasElement, grid: HistogramGrid, color: string): void {
  const ctx = sized(canvas, HEATMAP_HEIGHT);
  if (!ctx) return;
  const { width, height } = canvas;
  const image = ctx.createImageData(width, height);
  const pixels = image.data;
  const [r, g, b] = hexRgb(color);
  const columns = grid.steps.length;
  const rows = grid.rows;
  if (columns > 0) {
    const rowOf = new Int32Array(height);
    for (let y = 0; y < height; y++) rowOf[y] = rows - 1 - Math.min(rows - 1, Math.floor((y * rows) / height));
    for (let x = 0; x < width; x++) {
      const offset = Math.min(columns - 1, Math.floor((x * columns) / width)) * rows;
      for (let y = 0; y < height; y++) {
        const v = grid.cells[offset + rowOf[y]];
        if (v <= 0) continue;
        const at = (y * width + x) * 4;
        pixels[at] = r;
        pixels[at + 1] = g;
        pixels[at + 2] = b;
        // A square root lifts the tails, as a log scale would, without hiding the peak.
        pixels[at + 3] = Math.round(40 + 215 * Math.sqrt(v));
      }
    }
  }
  ctx.putImageData(image, 0, 0);
}

export function drawBars(canvas: HTMLCanvasElement, edges: number[], counts: number[], lo: number, hi: number, colors: ChartColors): void {
  const ctx = sized(canvas, BARS_HEIGHT);
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  let peak = 0;
  for (const c of counts) if (c > peak) peak = c;
  if (!(peak > 0) || !(hi > lo)) return;
  const xOf = (v: number) => ((v - lo) / (hi - lo)) * width;
  ctx.fillStyle = colors.accent;
  for (let i = 0; i < counts.length && i + 1 < edges.length; i++) {
    const c = counts[i];
    if (!(c > 0)) continue;
    const left = xOf(edges[i]);
    const barWidth = Math.max(1, xOf(edges[i + 1]) - left - 0.5);
    const barHeight = (c / peak) * (height - 2);
    ctx.fillRect(left, height - barHeight, barWidth, barHeight);
  }
  ctx.strokeStyle = colors.grid;
  ctx.beginPath();
  ctx.moveTo(0, height - 0.5);
  ctx.lineTo(width, height - 0.5);
  ctx.stroke();
}
