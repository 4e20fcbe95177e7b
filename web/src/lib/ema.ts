/**
 * Smoothing of one series for drawing: a time-weighted exponential moving average whose strength is
 * relative to the visible x range (as W&B's default), and a centred running average over a window
 * of logged points. Non-finite values neither enter an average nor receive a smoothed value (they
 * stay gaps, so a NaN remains visible).
 */

export type SmoothingMode = "ema" | "avg";

/**
 * The x range is cut into this many units; the strength is the decay over one unit. The number is
 * W&B's, so a strength someone knows from there smooths alike here.
 */
export const EMA_RANGE_UNITS = 1000;

/**
 * Time-weighted EMA, debiased so the first points are not pulled towards zero.
 *
 * `strength` in [0, 1): the past decays by sqrt(strength) every 1/1000 of `rangeOfX` (the chart's
 * visible x extent, by default the extent of `x`). Because the decay depends on x distance, not
 * on the index, 0.9 smooths a 1k-step and a 1M-step run (drawn from ~2000 downsampled points) the
 * same way, and irregularly logged points weigh what their spacing says.
 */
export function emaSmooth(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  strength: number,
  rangeOfX?: number,
): Float64Array {
  const n = Math.min(x.length, y.length);
  if (!(strength > 0)) return finiteCopy(y, n);
  const decayPerUnit = Math.min(Math.sqrt(strength), 0.999);
  const range = rangeOfX !== undefined && rangeOfX > 0 ? rangeOfX : extent(x, n);
  const out = new Float64Array(n);
  if (!(range > 0)) {
    for (let i = 0; i < n; i++) out[i] = Number.isFinite(y[i]) ? y[i] : NaN;
    return out;
  }
  const unit = range / EMA_RANGE_UNITS;
  // A point with no usable distance to its predecessor (the first, a repeated or unordered x)
  // counts as one typical spacing.
  const typicalGap = Math.max(range / Math.max(n - 1, 1), Number.MIN_VALUE);
  let value = 0;
  let weight = 0;
  let prevX = NaN;
  for (let i = 0; i < n; i++) {
    const yi = y[i];
    const xi = x[i];
    if (!Number.isFinite(yi)) {
      out[i] = NaN;
      continue;
    }
    const rawGap = xi - prevX;
    const gap = rawGap > 0 ? rawGap : typicalGap;
    // Each point weighs by the x distance it covers, so density does not change the curve.
    const decay = decayPerUnit ** (gap / unit);
    value = value * decay + (1 - decay) * yi;
    weight = weight * decay + (1 - decay);
    out[i] = weight > 0 ? value / weight : yi;
    if (Number.isFinite(xi)) prevX = xi;
  }
  return out;
}

/**
 * Centred running average over `window` logged points. `typicalDx` is the x distance of one logged
 * point (`(xmax - xmin) / (trueCount - 1)` for downsampled data), so the window covers the same
 * steps whatever the downsampling; without it, or when x is not increasing, the window counts
 * array entries.
 */
export function runningAverage(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  window: number,
  typicalDx?: number,
): Float64Array {
  const n = Math.min(x.length, y.length);
  const size = Math.floor(window);
  if (!(size > 1)) return finiteCopy(y, n);
  // Prefix sums over finite values make every window O(1).
  const sum = new Float64Array(n + 1);
  const count = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const ok = Number.isFinite(y[i]);
    sum[i + 1] = sum[i] + (ok ? y[i] : 0);
    count[i + 1] = count[i] + (ok ? 1 : 0);
  }
  const out = new Float64Array(n);
  const dx = typicalDx ?? 0;
  const byX = dx > 0 && increasing(x, n);
  const half = ((size - 1) / 2) * dx;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) {
      out[i] = NaN;
      continue;
    }
    let from: number;
    let to: number;
    if (byX) {
      while (x[lo] < x[i] - half) lo++;
      if (hi < i) hi = i;
      while (hi + 1 < n && x[hi + 1] <= x[i] + half) hi++;
      from = lo;
      to = hi + 1;
    } else {
      const start = i - Math.floor((size - 1) / 2);
      from = Math.max(0, start);
      to = Math.min(n, start + size);
    }
    const c = count[to] - count[from];
    out[i] = c > 0 ? (sum[to] - sum[from]) / c : y[i];
  }
  return out;
}

function finiteCopy(y: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number.isFinite(y[i]) ? y[i] : NaN;
  return out;
}

/** The distance between the smallest and the largest finite x. */
export function extent(x: ArrayLike<number>, n = x.length): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi > lo ? hi - lo : 0;
}

function increasing(x: ArrayLike<number>, n: number): boolean {
  for (let i = 1; i < n; i++) {
    if (!(x[i] >= x[i - 1])) return false;
  }
  return true;
}
