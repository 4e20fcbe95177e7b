import type uPlot from "uplot";
import type { XMode } from "../api/types";
import type { Zoom } from "../lib/urlState";
import { formatCompact, formatDateTime, formatDuration, formatNumber } from "../lib/format";
import type { Theme } from "../theme/context";
import type { ChartOptions } from "./UPlotChart";

const FONT_PX = 11;
const TICK_SIZE = 4;
const AXIS_GAP = 4;
const X_AXIS_SIZE = 30;
/** uPlot's line height for multi-line tick labels, as a multiple of the font size. */
const LINE_GAP = 1.5;

export interface ChartColors {
  text: string;
  grid: string;
  accent: string;
  band: string;
}

/** Canvas colours per theme (a canvas cannot read CSS variables). */
export function chartColors(theme: Theme): ChartColors {
  return theme === "dark"
    ? { text: "#9aa3b2", grid: "rgba(255,255,255,0.07)", accent: "#7c8cff", band: "rgba(124,140,255,0.22)" }
    : { text: "#5f6673", grid: "rgba(0,0,0,0.07)", accent: "#4e5fe6", band: "rgba(78,95,230,0.16)" };
}

/** How x values read on the axis and in the tooltip title, per x mode. */
export function xFormatter(mode: XMode): { axis: (v: number) => string; title: (v: number) => string } {
  if (mode === "time") {
    return { axis: (v) => formatDateTime(v, false).slice(11), title: (v) => formatDateTime(v) };
  }
  if (mode === "relative") return { axis: formatDuration, title: formatDuration };
  if (mode === "step") return { axis: formatCompact, title: (v) => `step ${formatNumber(v, 10)}` };
  return { axis: formatCompact, title: (v) => `${mode} ${formatNumber(v, 7)}` };
}

export interface BaseOptionsInput {
  xMode: XMode;
  logY: boolean;
  zoom: Zoom;
  colors: ChartColors;
  syncKey: string;
}

/** Scales, axes and cursor shared by every metric chart; series and plugins are the caller's. */
export function baseOptions({ xMode, logY, zoom, colors, syncKey }: BaseOptionsInput): ChartOptions {
  const isTime = xMode === "time";
  const xFormat = xFormatter(xMode);
  const font = `${FONT_PX}px system-ui, -apple-system, 'Segoe UI', sans-serif`;
  const axis = (extra: uPlot.Axis): uPlot.Axis => ({
    stroke: colors.text,
    font,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1, size: TICK_SIZE },
    ...extra,
  });
  // uPlot's time ticks put the date on a second line under the first tick and each new day:
  // the axis grows to hold every line its labels have, so the date is never cut off.
  const lineHeight = FONT_PX * LINE_GAP;
  // Typed wider than uPlot's `string[]`: before the first layout there are none, and a
  // filtered-out tick is null.
  const timeAxisSize = (_u: uPlot, values: readonly (string | number | null)[] | null): number => {
    const lines = Math.max(1, ...(values ?? []).map((v) => String(v ?? "").split("\n").length));
    return Math.max(X_AXIS_SIZE, Math.ceil(TICK_SIZE + AXIS_GAP + (lines - 1) * lineHeight + FONT_PX + 2));
  };
  return {
    series: [{}],
    legend: { show: false },
    padding: [8, 18, 0, 0],
    cursor: {
      drag: { x: true, y: false, setScale: false },
      sync: { key: syncKey, setSeries: false },
      points: { size: 6 },
    },
    scales: {
      x: {
        time: isTime,
        range: (_u, min, max): uPlot.Range.MinMax => {
          if (zoom) return [zoom[0], zoom[1]];
          if (min === max) return [min - 1, max + 1];
          return [min, max];
        },
      },
      // 3 is uPlot.Scale.Distr.Logarithmic: an ambient const enum, unusable with isolatedModules.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
      y: logY ? { distr: 3, log: 10 } : {},
    },
    axes: [
      axis(
        isTime
          ? { space: 70, size: timeAxisSize, gap: AXIS_GAP }
          : { space: 60, size: X_AXIS_SIZE, gap: AXIS_GAP, values: (_u, splits) => splits.map((v) => xFormat.axis(v)) },
      ),
      axis({ size: 50, gap: AXIS_GAP, values: (_u, splits) => splits.map((v) => formatCompact(v)) }),
    ],
  };
}
