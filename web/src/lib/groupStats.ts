/**
 * Mean and min–max envelope of several runs' series of one metric, for the compare view's
 * "group by config key". Runs seldom share x values exactly (different logging steps, server
 * downsampling), so each run is linearly interpolated onto the union of x values, inside its own
 * x range only: a run contributes nothing before its first or after its last point.
 */

export interface XY {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface GroupSeries {
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
  /** How many runs contributed at each x. */
  n: number[];
}

function finitePoints(s: XY): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  const len = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < len; i++) {
    if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) {
      x.push(s.x[i]);
      y.push(s.y[i]);
    }
  }
  return { x, y };
}

/** Sorted distinct x values of all series, thinned evenly to at most `maxPoints`. */
export function unionX(series: readonly { x: number[] }[], maxPoints: number): number[] {
  const all: number[] = [];
  for (const s of series) for (const v of s.x) all.push(v);
  all.sort((a, b) => a - b);
  const distinct: number[] = [];
  for (const v of all) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
  if (distinct.length <= maxPoints || maxPoints < 2) return distinct;
  const out: number[] = [];
  const stride = (distinct.length - 1) / (maxPoints - 1);
  for (let i = 0; i < maxPoints; i++) out.push(distinct[Math.round(i * stride)]);
  return out;
}

export function groupStats(series: readonly XY[], maxPoints = 2000): GroupSeries {
  const clean = series.map(finitePoints).filter((s) => s.x.length > 0);
  for (const s of clean) sortByX(s);
  const xs = unionX(clean, maxPoints);
  const result: GroupSeries = { x: xs, mean: [], min: [], max: [], n: [] };
  const cursors = clean.map(() => 0);
  for (const xv of xs) {
    let sum = 0;
    let count = 0;
    let lo = Infinity;
    let hi = -Infinity;
    clean.forEach((s, r) => {
      const last = s.x.length - 1;
      if (xv < s.x[0] || xv > s.x[last]) return;
      let i = cursors[r];
      while (i < last && s.x[i + 1] <= xv) i++;
      cursors[r] = i;
      let v = s.y[i];
      if (s.x[i] !== xv && i < last) {
        const t = (xv - s.x[i]) / (s.x[i + 1] - s.x[i]);
        v = s.y[i] + t * (s.y[i + 1] - s.y[i]);
      }
      sum += v;
      count++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    });
    result.mean.push(count ? sum / count : NaN);
    result.min.push(count ? lo : NaN);
    result.max.push(count ? hi : NaN);
    result.n.push(count);
  }
  return result;
}

function sortByX(s: { x: number[]; y: number[] }): void {
  for (let i = 1; i < s.x.length; i++) {
    if (s.x[i] < s.x[i - 1]) {
      const order = s.x.map((_, j) => j).sort((a, b) => s.x[a] - s.x[b]);
      const x = order.map((j) => s.x[j]);
      const y = order.map((j) => s.y[j]);
      for (let j = 0; j < order.length; j++) {
        s.x[j] = x[j];
        s.y[j] = y[j];
      }
      return;
    }
  }
}
