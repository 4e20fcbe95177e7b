/**
 * A key-vs-key panel's points as uPlot columns. The server joins the two keys on the step (only
 * steps where both were logged; `GET /api/metrics?x=<key>`), so each run arrives as pairs sorted by
 * the x key's value; here the runs (or groups) become one column each over a shared, sorted x.
 */

export interface PointPairs {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface ScatterLine {
  /** Runs whose points the line shows (one run, or the members of a group). */
  members: readonly string[];
}

export interface ScatterColumns {
  /** `[x, line 0, line 1, …]`: every row is one x value; a line without a point there is null. */
  data: [number[], ...(number | null)[][]];
  /** Points drawn per line. */
  points: number[];
  /** Pairs left out because x or y is NaN or infinite (or y ≤ 0 on a log axis). */
  dropped: number;
}

/**
 * Columns for uPlot's x-sorted mode: the pairs of every line merged in x order. Pairs of different
 * lines at the same x share a row; a line's repeated x takes a new row, so no point is lost.
 */
export function scatterColumns(lines: readonly ScatterLine[], runs: Readonly<Record<string, PointPairs | undefined>>, logY = false): ScatterColumns {
  const xs: number[] = [];
  const ys: number[] = [];
  const owner: number[] = [];
  const points = lines.map(() => 0);
  let dropped = 0;
  lines.forEach((line, l) => {
    for (const id of line.members) {
      const pairs = runs[id];
      if (!pairs) continue;
      const n = Math.min(pairs.x.length, pairs.y.length);
      for (let i = 0; i < n; i++) {
        const x = pairs.x[i];
        const y = pairs.y[i];
        if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && y <= 0)) {
          dropped++;
          continue;
        }
        xs.push(x);
        ys.push(y);
        owner.push(l);
        points[l]++;
      }
    }
  });
  const order = Array.from(xs.keys()).sort((a, b) => xs[a] - xs[b] || owner[a] - owner[b]);
  const xColumn: number[] = [];
  const columns: (number | null)[][] = lines.map(() => []);
  for (const i of order) {
    const x = xs[i];
    const l = owner[i];
    const row = xColumn.length - 1;
    if (row < 0 || xColumn[row] !== x || columns[l][row] !== null) {
      xColumn.push(x);
      for (const column of columns) column.push(null);
    }
    columns[l][xColumn.length - 1] = ys[i];
  }
  return { data: [xColumn, ...columns], points, dropped };
}
