/**
 * Turning series into uPlot columns and series options. Options depend only on the chart's shape
 * (which lines, which colours), never on the data, so a live chart receives new columns through
 * setData instead of being rebuilt.
 */
import uPlot from "uplot";
import { emaSmooth, runningAverage } from "../lib/ema";
import type { XMode } from "../api/types";
import { bandOf, groupStats, type GroupBand } from "../lib/groupStats";
import { isSystemKey } from "../lib/metricKeys";
import { drawable } from "../lib/numbers";
import { withAlpha } from "../lib/palette";
import type { SeriesData } from "./metricsStore";

/** The x distance of one logged point, so smoothing means the same at any zoom or density. */
export function typicalDx(data: SeriesData): number | undefined {
  const n = data.x.length;
  if (n < 2 || data.count < 2) return undefined;
  return (data.x[n - 1] - data.x[0]) / (data.count - 1);
}

/** How a chart smooths: EMA at `strength`, or a running average when `window` is 2 or more. */
export interface Smoothing {
  strength: number;
  window: number;
}

export function smoothingOn(s: Smoothing): boolean {
  return s.window >= 2 || s.strength > 0;
}

/**
 * The smoothed line of one series. `rangeOfX` is the chart's visible x extent (by default the
 * series' own), so the same strength smooths alike at any length or zoom.
 */
export function smoothed(data: SeriesData, smoothing: Smoothing, rangeOfX?: number): Float64Array {
  if (smoothing.window >= 2) return runningAverage(data.x, data.y, smoothing.window, typicalDx(data));
  return emaSmooth(data.x, data.y, smoothing.strength, rangeOfX);
}

export interface RunLayout {
  band: boolean;
  smooth: boolean;
}

/** Series indices of the one-run chart: [x, max?, min?, raw, smoothed?]. */
export function runIndices(layout: RunLayout): { max: number; min: number; raw: number; smooth: number } {
  const offset = layout.band ? 2 : 0;
  return {
    max: layout.band ? 1 : -1,
    min: layout.band ? 2 : -1,
    raw: 1 + offset,
    smooth: layout.smooth ? 2 + offset : -1,
  };
}

export function runSeries(layout: RunLayout, color: string, bandColor: string): {
  series: uPlot.Series[];
  bands: uPlot.Band[];
} {
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  const hidden: uPlot.Series = { stroke: "transparent", width: 0, points: { show: false } };
  if (layout.band) {
    series.push({ ...hidden, label: "max" }, { ...hidden, label: "min" });
    bands.push({ series: [1, 2], fill: bandColor });
  }
  series.push({
    label: "value",
    stroke: layout.smooth ? withAlpha(color, 0.28) : color,
    width: layout.smooth ? 1 : 1.5,
    points: { show: false },
  });
  if (layout.smooth) {
    series.push({ label: "smoothed", stroke: color, width: 1.75, points: { show: false } });
  }
  return { series, bands };
}

/**
 * The series each set of one-run columns was drawn from, so a tooltip can show exact raw values
 * (NaN, infinities) that the drawn columns hold as gaps. uPlot keeps the array it is given.
 */
const sourceOfColumns = new WeakMap<uPlot.AlignedData, SeriesData>();

export function seriesOfColumns(columns: uPlot.AlignedData): SeriesData | undefined {
  return sourceOfColumns.get(columns);
}

export function runColumns(data: SeriesData, layout: RunLayout, smoothing: Smoothing, logY: boolean): uPlot.AlignedData {
  const columns: uPlot.AlignedData = [data.x];
  sourceOfColumns.set(columns, data);
  if (layout.band && data.yMax && data.yMin) {
    columns.push(drawable(data.yMax, logY), drawable(data.yMin, logY));
  } else if (layout.band) {
    const empty = drawable(data.y, logY);
    columns.push(empty, empty);
  }
  columns.push(drawable(data.y, logY));
  if (layout.smooth) columns.push(drawable(smoothed(data, smoothing), logY));
  return columns;
}

export interface CompareLine {
  id: string;
  label: string;
  color: string;
  /** Runs in the line; one for a run, several for a group. */
  members: string[];
}

/**
 * Compare chart series: per line either [raw, smoothed?] (runs) or [max, min, mean] (groups, with
 * a band). Returns the series, bands and where each line's main series sits.
 */
export function compareSeries(
  lines: CompareLine[],
  mode: "runs" | "groups",
  smooth: boolean,
): { series: uPlot.Series[]; bands: uPlot.Band[]; main: number[] } {
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  const main: number[] = [];
  for (const line of lines) {
    if (mode === "groups") {
      const hidden = { stroke: "transparent", width: 0, points: { show: false }, spanGaps: true };
      series.push({ ...hidden, label: `${line.label} max` }, { ...hidden, label: `${line.label} min` });
      bands.push({ series: [series.length - 2, series.length - 1], fill: withAlpha(line.color, 0.16) });
      series.push({ label: line.label, stroke: line.color, width: 1.75, points: { show: false }, spanGaps: true });
    } else {
      series.push({
        label: line.label,
        stroke: smooth ? withAlpha(line.color, 0.25) : line.color,
        width: smooth ? 1 : 1.5,
        points: { show: false },
        // uPlot joins across the `undefined` left by aligning runs either way; `false` keeps the
        // `null` of a NaN as a visible break, as on the run page.
        spanGaps: false,
      });
      if (smooth) {
        series.push({ label: line.label, stroke: line.color, width: 1.75, points: { show: false }, spanGaps: false });
      }
    }
    main.push(series.length - 1);
  }
  return { series, bands, main };
}

/**
 * Columns for a compare chart, aligned on the union of x values. Gaps from alignment are
 * `undefined` (spanned, the line continues); NaN in the data is `null` (a visible break).
 */
export function compareColumns(
  lines: CompareLine[],
  runs: Record<string, SeriesData>,
  mode: "runs" | "groups",
  smoothing: Smoothing,
  logY: boolean,
  maxPoints: number,
  band: GroupBand = "minmax",
): uPlot.AlignedData {
  const tables: uPlot.AlignedData[] = [];
  const smooth = smoothingOn(smoothing);
  // Every line smooths against the chart's one x range, so short runs smooth like long ones.
  const range = sharedExtent(lines, runs);
  for (const line of lines) {
    if (mode === "groups") {
      const members = line.members
        .map((id) => runs[id] as SeriesData | undefined)
        .filter((d): d is SeriesData => d !== undefined)
        .map((d) => ({ x: d.x, y: smooth ? smoothed(d, smoothing, range) : d.y }));
      // A member that ends early holds its last value: the mean does not jump where it stops.
      const stats = groupStats(members, maxPoints, "hold");
      const { lo, hi } = bandOf(stats, band);
      tables.push([stats.x, drawable(hi, logY), drawable(lo, logY), drawable(stats.mean, logY)]);
      continue;
    }
    const data = runs[line.id] as SeriesData | undefined;
    const table: uPlot.AlignedData = [data?.x ?? [], drawable(data?.y ?? [], logY)];
    if (smooth) table.push(drawable(data ? smoothed(data, smoothing, range) : [], logY));
    tables.push(table);
  }
  if (tables.length === 0) return [[]];
  if (tables.length === 1) return tables[0];
  return uPlot.join(tables);
}

function sharedExtent(lines: CompareLine[], runs: Record<string, SeriesData>): number | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const line of lines) {
    for (const id of line.members) {
      const x = (runs[id] as SeriesData | undefined)?.x ?? [];
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return hi > lo && Number.isFinite(hi - lo) ? hi - lo : undefined;
}

/**
 * The x axis a chart is drawn against: its own choice, else the page's; `system/*` series have
 * no step, so against step they are drawn against relative time.
 */
export function chartX(key: string, pageX: XMode, override: XMode | undefined): XMode {
  if (override) return override;
  if (isSystemKey(key) && pageX !== "time" && pageX !== "relative") return "relative";
  return pageX;
}
