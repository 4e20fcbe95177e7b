import type uPlot from "uplot";
import type { XMode } from "../api/types";
import { formatExact } from "../lib/format";
import type { Zoom } from "../lib/urlState";
import { baseOptions, xFormatter, type ChartColors } from "./axes";
import { compareSeries, type CompareLine } from "./build";
import { tooltipPlugin, type TooltipRow } from "./tooltip";
import type { ChartOptions } from "./UPlotChart";

export interface CompareOptionsSpec {
  lines: CompareLine[];
  mode: "runs" | "groups";
  smooth: boolean;
  x: XMode;
  logY: boolean;
  zoom: Zoom;
  colors: ChartColors;
  syncKey: string;
  /** A dash pattern per line (a custom panel's second and later keys), or none. */
  dashes?: readonly (number[] | undefined)[];
}

/** uPlot options of a chart of lines across runs or groups: series, bands and the tooltip. */
export function compareOptions(spec: CompareOptionsSpec): ChartOptions {
  const { lines, mode, x } = spec;
  const { series, bands, main } = compareSeries(lines, mode, spec.smooth);
  spec.dashes?.forEach((dash, l) => {
    if (!dash) return;
    for (let s = l === 0 ? 1 : main[l - 1] + 1; s <= main[l]; s++) series[s] = { ...series[s], dash };
  });
  const xFormat = xFormatter(x);
  const rows = (u: uPlot, i: number): TooltipRow[] =>
    lines.flatMap((line, l) => {
      const v = u.data[main[l]][i];
      if (v === undefined) return [];
      const label = mode === "groups" ? `${line.label} (n=${line.members.length})` : line.label;
      return [{ label, color: line.color, value: formatExact(v ?? NaN) }];
    });
  return {
    ...baseOptions({ xMode: x, logY: spec.logY, zoom: spec.zoom, colors: spec.colors, syncKey: spec.syncKey }),
    series,
    bands,
    plugins: [tooltipPlugin({ title: (u, i) => xFormat.title(u.data[0][i]), rows })],
  };
}
