import { useEffect, useMemo, useRef } from "react";
import type { XMode } from "../api/types";
import { useInView } from "../hooks/useInView";
import { useI18n } from "../i18n/context";
import type { Zoom } from "../lib/urlState";
import type { ChartColors } from "./axes";
import type { GroupBand } from "../lib/groupStats";
import { compareColumns, smoothingOn, type CompareLine } from "./build";
import { compareOptions } from "./compareOptions";
import type { MetricsStore, SeriesData } from "./metricsStore";
import { ChartExportMenu } from "./ChartExportMenu";
import { ChartMessage } from "./ChartMessage";
import { UPlotChart } from "./UPlotChart";
import { useSeriesEntry } from "./useMetricsStore";

export interface CompareChartProps {
  store: MetricsStore;
  metricKey: string;
  lines: CompareLine[];
  mode: "runs" | "groups";
  x: XMode;
  /** EMA strength (the page's `smooth`). */
  smoothing: number;
  /** Running-average window; 2 or more replaces the EMA (the page's `avg`). */
  smoothWindow?: number;
  /** The groups' band: min–max, standard deviation or standard error. */
  band?: GroupBand;
  logY: boolean;
  zoom: Zoom;
  maxPoints: number;
  onZoom: (zoom: Zoom) => void;
  colors: ChartColors;
  syncKey: string;
}

const HEIGHT = 230;

/** One metric across runs (one line each) or across groups (mean line and min–max band). */
export function CompareChart(props: CompareChartProps) {
  const { store, metricKey, lines, mode, x, smoothing, logY, zoom, colors, syncKey, maxPoints } = props;
  const { t } = useI18n();
  const cardRef = useRef<HTMLDivElement>(null);
  const visible = useInView(cardRef);
  const entry = useSeriesEntry(store, metricKey);
  const smoothWindow = props.smoothWindow ?? 0;
  const spec = useMemo(() => ({ strength: smoothing, window: smoothWindow }), [smoothing, smoothWindow]);
  const smooth = smoothingOn(spec);

  useEffect(() => {
    if (visible) store.want(metricKey);
  }, [visible, store, metricKey]);

  const options = useMemo(
    () => compareOptions({ lines, mode, smooth, x, logY, zoom, colors, syncKey }),
    [lines, mode, smooth, x, logY, zoom, colors, syncKey],
  );

  const data = useMemo(
    () => compareColumns(lines, entry.runs, mode, spec, logY, maxPoints, props.band),
    [lines, entry.runs, mode, spec, logY, maxPoints, props.band],
  );

  const runsWithData = lines.filter((l) =>
    l.members.some((id) => ((entry.runs[id] as SeriesData | undefined)?.x.length ?? 0) > 0),
  ).length;
  const downsampled = Object.values(entry.runs).some((d) => d.downsampled);
  const state =
    entry.status === "error"
      ? "error"
      : entry.status !== "ready" && Object.keys(entry.runs).length === 0
        ? "loading"
        : data[0].length === 0
          ? "empty"
          : "ready";

  return (
    <div ref={cardRef} className="chart-card" data-testid="chart-card" data-key={metricKey} data-state={state}>
      <div className="chart-head">
        <span className="chart-title" title={metricKey}>
          {metricKey}
        </span>
        <span className="muted small">{t("compare.runsWithData", { n: runsWithData, total: lines.length })}</span>
        {downsampled && <span className="chip chip-small">{t("charts.downsampled")}</span>}
        {entry.status === "loading" && state === "ready" && <span className="spinner-ring small" />}
        {state === "ready" && <ChartExportMenu chartKey={`compare:${metricKey}`} title={metricKey} xLabel={x} />}
      </div>
      <div className="chart-body" style={{ height: HEIGHT }}>
        {state === "error" || state === "empty" ? (
          <ChartMessage
            state={state}
            error={entry.error}
            zoomed={Boolean(zoom)}
            onRetry={() => store.refresh([metricKey])}
          />
        ) : state === "ready" ? (
          <UPlotChart
            chartKey={`compare:${metricKey}`}
            testId={`chart-${metricKey}`}
            options={options}
            data={data}
            height={HEIGHT - 4}
            onZoom={props.onZoom}
          />
        ) : (
          <div className="chart-state">
            <span className="skeleton skeleton-chart" />
          </div>
        )}
      </div>
    </div>
  );
}
