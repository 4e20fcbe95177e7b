import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type uPlot from "uplot";
import type { XMode } from "../api/types";
import { Icon } from "../components/Icon";
import { useInView } from "../hooks/useInView";
import { usePolling } from "../hooks/usePolling";
import { useI18n } from "../i18n/context";
import type { ChartOverride } from "../lib/chartOverrides";
import { formatExact, formatNumber } from "../lib/format";
import type { Zoom } from "../lib/urlState";
import { useAlertMarkers } from "./alertMarkers";
import { useStageBands } from "./stageBands";
import { baseOptions, xFormatter, type ChartColors } from "./axes";
import { chartX, runColumns, runIndices, runSeries, seriesOfColumns, smoothingOn, type RunLayout, type Smoothing } from "./build";
import { MetricsStore, type SeriesData } from "./metricsStore";
import { tooltipPlugin, type TooltipRow } from "./tooltip";
import { ChartMessage } from "./ChartMessage";
import { ChartExportMenu } from "./ChartExportMenu";
import { UPlotChart, type ChartOptions } from "./UPlotChart";
import { useSeriesEntry } from "./useMetricsStore";

export type { ChartOverride } from "../lib/chartOverrides";

export interface RunChartProps {
  /** The page's store: every chart drawn against the page's x axis loads through it. */
  store: MetricsStore;
  runId: string;
  metricKey: string;
  x: XMode;
  /** Logged keys offered as a per-chart x axis. */
  xKeys: string[];
  /** EMA strength (the page's `smooth`). */
  smoothing: number;
  /** Running-average window in logged points; 2 or more replaces the EMA (the page's `avg`). */
  smoothWindow?: number;
  logY: boolean;
  zoom: Zoom;
  onZoom: (zoom: Zoom) => void;
  maxPoints: number;
  running: boolean;
  colors: ChartColors;
  override: ChartOverride | undefined;
  onOverride: (override: ChartOverride | undefined) => void;
  expanded: boolean;
  onExpand: () => void;
}

const SMOOTHING_CHOICES = [0, 0.6, 0.8, 0.9, 0.95, 0.99];
const HEIGHT = 210;
const EXPANDED_HEIGHT = 380;
const LOCAL_REFRESH_MS = 5000;
/** How near the viewport a chart asks for its data at mount (the in-view observer's margin). */
const NEAR_VIEWPORT_PX = 300;

function nearViewport(element: Element): boolean {
  const box = element.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) return false;
  return box.bottom > -NEAR_VIEWPORT_PX && box.top < window.innerHeight + NEAR_VIEWPORT_PX;
}

const mounting: { card: Element; want: () => void }[] = [];

/**
 * Asks for a just-mounted chart's data if it is near the viewport. The cards of one commit are
 * measured together once the commit's layout effects are done: one layout for all, not one each.
 */
function wantIfNearViewport(card: Element, want: () => void): void {
  mounting.push({ card, want });
  if (mounting.length > 1) return;
  queueMicrotask(() => {
    const batch = mounting.splice(0);
    for (const { card: c, want: w } of batch) if (c.isConnected && nearViewport(c)) w();
  });
}

function useRunChartOptions(layout: RunLayout, x: XMode, logY: boolean, zoom: Zoom, colors: ChartColors, syncKey: string): ChartOptions {
  const { band, smooth } = layout;
  return useMemo(() => {
    const l = { band, smooth };
    const base = baseOptions({ xMode: x, logY, zoom, colors, syncKey });
    const { series, bands } = runSeries(l, colors.accent, colors.band);
    const idx = runIndices(l);
    const xFormat = xFormatter(x);
    const rows = (u: uPlot, i: number): TooltipRow[] => {
      const data = seriesOfColumns(u.data);
      if (!data) return [];
      const out: TooltipRow[] = [{ label: "value", color: colors.accent, value: formatExact(data.y[i]) }];
      if (idx.smooth > 0) {
        const v = u.data[idx.smooth][i];
        out.push({ label: "smoothed", color: colors.accent, value: formatExact(v ?? NaN) });
      }
      if (data.yMin && data.yMax) {
        out.push(
          { label: "max", color: colors.band, value: formatExact(data.yMax[i]), muted: true },
          { label: "min", color: colors.band, value: formatExact(data.yMin[i]), muted: true },
        );
      }
      return out;
    };
    return {
      ...base,
      series,
      bands,
      plugins: [tooltipPlugin({ title: (u, i) => xFormat.title(u.data[0][i]), rows })],
    };
  }, [band, smooth, x, logY, zoom, colors, syncKey]);
}

/** One metric of one run: raw line, optional smoothed line, min–max band when downsampled. */
export function RunChart(props: RunChartProps) {
  const { runId, metricKey, override, expanded, maxPoints } = props;
  const { t } = useI18n();
  const cardRef = useRef<HTMLDivElement>(null);
  const visible = useInView(cardRef);

  // A chart on another x axis than the page's loads through its own store, with its own zoom.
  const x = chartX(metricKey, props.x, override?.x);
  const own = x !== props.x;
  const [ownZoom, setOwnZoom] = useState<Zoom>(null);
  const ownStore = useMemo(
    () => (own ? new MetricsStore([runId], { x, zoom: null, maxPoints }) : null),
    [own, runId, x, maxPoints],
  );
  const store = ownStore ?? props.store;
  const zoom = own ? ownZoom : props.zoom;
  const onZoom = own ? setOwnZoom : props.onZoom;

  useEffect(() => {
    ownStore?.setParams({ x, zoom: ownZoom, maxPoints });
  }, [ownStore, x, ownZoom, maxPoints]);
  useEffect(() => () => ownStore?.dispose(), [ownStore]);
  // Live points arrive against steps; a chart on another axis re-reads instead.
  usePolling(() => ownStore?.refresh(), LOCAL_REFRESH_MS, props.running && ownStore !== null);

  // A chart of the first screen asks at mount: the observer reports a frame and a re-render of
  // every chart later, and the data request is what the page waits for.
  useLayoutEffect(() => {
    const card = cardRef.current;
    if (card) wantIfNearViewport(card, () => store.want(metricKey));
  }, [store, metricKey]);
  useEffect(() => {
    if (visible) store.want(metricKey);
  }, [visible, store, metricKey]);

  const entry = useSeriesEntry(store, metricKey);
  const data = (entry.runs[runId] as SeriesData | undefined) ?? null;
  // A chart's own smoothing is an EMA strength; it replaces the page's choice, window included.
  const ownSmoothing = override?.smoothing;
  const strength = ownSmoothing ?? props.smoothing;
  const smoothWindow = ownSmoothing === undefined ? (props.smoothWindow ?? 0) : 0;
  const smoothing: Smoothing = useMemo(() => ({ strength, window: smoothWindow }), [strength, smoothWindow]);
  const logY = override?.logY ?? props.logY;
  const layout: RunLayout = { band: data?.downsampled === true, smooth: smoothingOn(smoothing) };
  // Charts share a cursor only with charts on the same x axis.
  const options = useStageBands(
    useAlertMarkers(useRunChartOptions(layout, x, logY, zoom, props.colors, `run-${runId}-${x}`), metricKey, x),
    x,
  );
  const { band, smooth } = layout;
  const columns = useMemo(
    () => (data ? runColumns(data, { band, smooth }, smoothing, logY) : null),
    [data, band, smooth, smoothing, logY],
  );

  const state = entry.status === "error" ? "error" : !data ? "loading" : data.x.length === 0 ? "empty" : "ready";
  const last = data && data.y.length ? data.y[data.y.length - 1] : null;
  const setOverride = (change: ChartOverride) => props.onOverride({ ...override, ...change });

  return (
    <div
      ref={cardRef}
      className={`chart-card${expanded ? " expanded" : ""}`}
      data-testid="chart-card"
      data-key={metricKey}
      data-state={state}
      data-x={x}
    >
      <div className="chart-head">
        <span className="chart-title" title={metricKey}>
          {metricKey}
        </span>
        {last !== null && (
          <span className="chart-last mono" title={t("charts.lastValue")}>
            {formatNumber(last, 5)}
          </span>
        )}
        {data?.downsampled && (
          <span className="chip chip-small" title={t("charts.downsampledHint", { n: data.count })}>
            {t("charts.downsampled")}
          </span>
        )}
        {own && zoom && (
          <button type="button" className="mini-btn active" onClick={() => setOwnZoom(null)} title={t("charts.resetZoom")}>
            {t("charts.resetZoom")}
          </button>
        )}
        {entry.status === "loading" && data && <span className="spinner-ring small" aria-label={t("common.loading")} />}
        <div className="spacer" />
        <div className="chart-actions">
          <select
            className="mini-select"
            value={override?.x ?? ""}
            onChange={(e) => {
              setOwnZoom(null);
              setOverride({ x: e.target.value || undefined });
            }}
            title={t("charts.xAxis")}
            aria-label={t("charts.xAxis")}
            data-testid="chart-x"
          >
            <option value="">{t("charts.xPage")}</option>
            <option value="step">{t("charts.x.step")}</option>
            <option value="time">{t("charts.x.time")}</option>
            <option value="relative">{t("charts.x.relative")}</option>
            {props.xKeys
              .filter((k) => k !== metricKey)
              .map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
          </select>
          <select
            className="mini-select"
            value={override?.smoothing === undefined ? "" : String(override.smoothing)}
            onChange={(e) => setOverride({ smoothing: e.target.value === "" ? undefined : Number(e.target.value) })}
            title={t("charts.smoothing")}
            aria-label={t("charts.smoothing")}
            data-testid="chart-smoothing"
          >
            <option value="">{t("charts.smoothingGlobal")}</option>
            {SMOOTHING_CHOICES.map((s) => (
              <option key={s} value={s}>
                {s === 0 ? t("charts.smoothingOff") : s}
              </option>
            ))}
          </select>
          <button
            type="button"
            className={`mini-btn${logY ? " active" : ""}`}
            onClick={() => setOverride({ logY: !logY })}
            aria-pressed={logY}
            title={t("charts.logY")}
            data-testid="chart-log-y"
          >
            log
          </button>
          <ChartExportMenu chartKey={metricKey} title={metricKey} xLabel={x} />
          <button type="button" className="mini-btn" onClick={props.onExpand} title={t("charts.expand")} aria-label={t("charts.expand")} data-testid="chart-expand">
            <Icon name={expanded ? "collapse" : "expand"} size={11} />
          </button>
        </div>
      </div>
      <div className="chart-body" style={{ height: expanded ? EXPANDED_HEIGHT : HEIGHT }}>
        {state === "error" || state === "empty" ? (
          <ChartMessage
            state={state}
            error={entry.error}
            zoomed={Boolean(zoom)}
            onRetry={() => store.refresh([metricKey])}
          />
        ) : columns && data ? (
          <UPlotChart
            chartKey={metricKey}
            testId={`chart-${metricKey}`}
            options={options}
            data={columns}
            height={(expanded ? EXPANDED_HEIGHT : HEIGHT) - 4}
            onZoom={onZoom}
            count={data.count}
            downsampled={data.downsampled}
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
