/**
 * Histograms over steps as one grid for a heatmap: each step has its own bin edges (its values'
 * range), so every step is re-binned onto one shared value axis, spreading a bin's count over
 * the rows it overlaps in proportion to the overlap. Columnar: one Float32Array, row-major by
 * step, no object per cell.
 */

export interface HistogramSeries {
  steps: number[];
  edges: number[][];
  counts: number[][];
}

export interface HistogramGrid {
  /** Columns: one per step, in order. */
  steps: number[];
  rows: number;
  /** Value range of the rows: row r covers [lo + r * h, lo + (r + 1) * h), h = (hi - lo) / rows. */
  lo: number;
  hi: number;
  /** `cells[c * rows + r]`: the share of step c's values in row r, scaled so each column's peak is 1. */
  cells: Float32Array;
}

/** The smallest and largest finite edge over every step (null when no step has a bin). */
export function valueRange(series: HistogramSeries): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const edges of series.edges) {
    if (edges.length < 2) continue;
    const first = edges[0];
    const last = edges[edges.length - 1];
    if (Number.isFinite(first) && first < lo) lo = first;
    if (Number.isFinite(last) && last > hi) hi = last;
  }
  if (!(hi >= lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return null;
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}

/**
 * Re-bins ``counts`` (bins between ``edges``) onto ``rows`` equal rows over [lo, hi), adding into
 * ``out`` at ``offset``; returns the column's total.
 */
export function rebin(edges: ArrayLike<number>, counts: ArrayLike<number>, lo: number, hi: number, rows: number, out: Float32Array, offset: number): number {
  const height = (hi - lo) / rows;
  let total = 0;
  const bins = Math.min(counts.length, edges.length - 1);
  for (let b = 0; b < bins; b++) {
    const count = counts[b];
    if (!(count > 0)) continue;
    const a = edges[b];
    const z = edges[b + 1];
    total += count;
    if (!(z > a)) {
      const r = Math.min(rows - 1, Math.max(0, Math.floor((a - lo) / height)));
      out[offset + r] += count;
      continue;
    }
    const density = count / (z - a);
    const first = Math.max(0, Math.floor((a - lo) / height));
    const last = Math.min(rows - 1, Math.floor((z - lo) / height));
    for (let r = first; r <= last; r++) {
      const rowLo = lo + r * height;
      const overlap = Math.min(z, rowLo + height) - Math.max(a, rowLo);
      if (overlap > 0) out[offset + r] += density * overlap;
    }
  }
  return total;
}

/** The heatmap grid of ``series`` with ``rows`` value rows; each column scaled to peak 1. */
export function histogramGrid(series: HistogramSeries, rows: number): HistogramGrid {
  const range = valueRange(series);
  const columns = series.steps.length;
  const cells = new Float32Array(columns * rows);
  if (!range || rows < 1) return { steps: series.steps, rows, lo: 0, hi: 1, cells };
  const [lo, hi] = range;
  for (let c = 0; c < columns; c++) {
    const offset = c * rows;
    rebin(series.edges[c] ?? [], series.counts[c] ?? [], lo, hi, rows, cells, offset);
    let peak = 0;
    for (let r = 0; r < rows; r++) if (cells[offset + r] > peak) peak = cells[offset + r];
    if (peak > 0) for (let r = 0; r < rows; r++) cells[offset + r] /= peak;
  }
  return { steps: series.steps, rows, lo, hi, cells };
}

/** Index of the logged step nearest to ``step`` (steps sorted ascending); -1 when there is none. */
export function nearestStepIndex(steps: ArrayLike<number>, step: number): number {
  const n = steps.length;
  if (n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(steps[lo - 1] - step) <= Math.abs(steps[lo] - step)) return lo - 1;
  return lo;
}

/** Mean and standard deviation of one histogram, from bin centres (for the step's readout). */
export function histogramMoments(edges: ArrayLike<number>, counts: ArrayLike<number>): { mean: number; std: number; total: number } {
  let total = 0;
  let sum = 0;
  let squares = 0;
  const bins = Math.min(counts.length, edges.length - 1);
  for (let b = 0; b < bins; b++) {
    const c = counts[b];
    if (!(c > 0)) continue;
    const centre = (edges[b] + edges[b + 1]) / 2;
    total += c;
    sum += c * centre;
    squares += c * centre * centre;
  }
  if (total === 0) return { mean: NaN, std: NaN, total: 0 };
  const mean = sum / total;
  return { mean, std: Math.sqrt(Math.max(0, squares / total - mean * mean)), total };
}
