/**
 * Mean with spread (min–max, standard deviation, standard error) of several runs' series of one
 * metric, for the compare view's groups. Runs seldom share x values exactly (different logging
 * steps, server downsampling), so each run is linearly interpolated onto the union of x values.
 * A run contributes nothing before its first point. After its last point it either stops
 * (`"stop"`) or, by default, holds its last value (`"hold"`) so the mean does not jump when a
 * shorter member ends; `n` counts the runs still logging at each x.
 */

/** Which envelope the group's band shows. */
export type GroupBand = "minmax" | "std" | "stderr";
export const GROUP_BANDS: readonly GroupBand[] = ["minmax", "std", "stderr"];

export type GroupTail = "hold" | "stop";

export interface XY {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface GroupSeries {
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
  /** Population standard deviation across runs at each x (0 for one run). */
  std: number[];
  /** How many runs were still logging at each x (held runs aside). */
  n: number[];
  /** How many runs the mean is taken over at each x (held runs included). */
  members: number[];
}

/** The band's lower and upper line for `band`. */
export function bandOf(g: GroupSeries, band: GroupBand): { lo: number[]; hi: number[] } {
  if (band === "minmax") return { lo: g.min, hi: g.max };
  const members = g.members;
  const spread = band === "std" ? g.std : g.std.map((s, i) => (members[i] > 0 ? s / Math.sqrt(members[i]) : NaN));
  return { lo: g.mean.map((m, i) => m - spread[i]), hi: g.mean.map((m, i) => m + spread[i]) };
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

export function groupStats(series: readonly XY[], maxPoints = 2000, tail: GroupTail = "stop"): GroupSeries {
  const clean = series.map(finitePoints).filter((s) => s.x.length > 0);
  for (const s of clean) sortByX(s);
  const xs = unionX(clean, maxPoints);
  const result: GroupSeries = { x: xs, mean: [], min: [], max: [], std: [], n: [], members: [] };
  const cursors = clean.map(() => 0);
  for (const xv of xs) {
    let sum = 0;
    let squares = 0;
    let count = 0;
    let live = 0;
    let lo = Infinity;
    let hi = -Infinity;
    clean.forEach((s, r) => {
      const last = s.x.length - 1;
      if (xv < s.x[0]) return;
      if (xv > s.x[last]) {
        if (tail === "stop") return;
        const held = s.y[last];
        sum += held;
        squares += held * held;
        count++;
        if (held < lo) lo = held;
        if (held > hi) hi = held;
        return;
      }
      let i = cursors[r];
      while (i < last && s.x[i + 1] <= xv) i++;
      cursors[r] = i;
      let v = s.y[i];
      if (s.x[i] !== xv && i < last) {
        const t = (xv - s.x[i]) / (s.x[i + 1] - s.x[i]);
        v = s.y[i] + t * (s.y[i + 1] - s.y[i]);
      }
      sum += v;
      squares += v * v;
      count++;
      live++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    });
    const mean = count ? sum / count : NaN;
    result.mean.push(mean);
    result.min.push(count ? lo : NaN);
    result.max.push(count ? hi : NaN);
    result.std.push(count ? Math.sqrt(Math.max(0, squares / count - mean * mean)) : NaN);
    result.n.push(live);
    result.members.push(count);
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
