/**
 * Time-weighted exponential moving average, debiased like TensorBoard's so the first points are
 * not pulled towards zero.
 *
 * `smoothing` in [0, 1) is the decay over one typical x interval; a gap of k intervals decays by
 * smoothing^k, so irregularly logged or downsampled points weigh what their x distance says rather
 * than their index. Non-finite values neither enter the average nor receive a smoothed value
 * (they stay gaps, so a NaN remains visible).
 *
 * `typicalDx` is the x distance of one logged point; by default the mean spacing of `x`. Pass
 * `(xmax - xmin) / (trueCount - 1)` for downsampled data so the slider means the same at any zoom.
 */
export function emaSmooth(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  smoothing: number,
  typicalDx?: number,
): Float64Array {
  const n = Math.min(x.length, y.length);
  const out = new Float64Array(n);
  if (!(smoothing > 0)) {
    for (let i = 0; i < n; i++) out[i] = Number.isFinite(y[i]) ? y[i] : NaN;
    return out;
  }
  const s = Math.min(smoothing, 0.9999);
  const dx = typicalDx !== undefined && typicalDx > 0 ? typicalDx : meanSpacing(x, n);
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
    const gap = Number.isFinite(xi) && Number.isFinite(prevX) ? xi - prevX : dx;
    // Repeated or unordered x still counts as one step rather than freezing the average.
    const decay = s ** (gap > 0 && dx > 0 ? gap / dx : 1);
    value = value * decay + (1 - decay) * yi;
    weight = weight * decay + (1 - decay);
    out[i] = value / weight;
    if (Number.isFinite(xi)) prevX = xi;
  }
  return out;
}

function meanSpacing(x: ArrayLike<number>, n: number): number {
  let first = NaN;
  let last = NaN;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    if (!Number.isFinite(xi)) continue;
    if (count === 0) first = xi;
    last = xi;
    count++;
  }
  return count > 1 ? (last - first) / (count - 1) : 1;
}
