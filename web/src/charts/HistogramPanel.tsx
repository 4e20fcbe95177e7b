import "./histograms.css";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { histogramsApi, type HistogramResponse } from "../api/histograms";
import { errorMessage } from "../api/client";
import { useAsync } from "../hooks/useAsync";
import { usePolling } from "../hooks/usePolling";
import { useI18n } from "../i18n/context";
import { formatCompact, formatNumber } from "../lib/format";
import { histogramGrid, histogramMoments, nearestStepIndex, type HistogramGrid } from "../lib/histogramGrid";
import type { ChartColors } from "./axes";
import { BARS_HEIGHT, HEATMAP_HEIGHT, drawBars, drawHeatmap } from "./histogramDraw";

declare global {
  interface Window {
    /** Test hook: per histogram key, the grid drawn and the step the slider shows. */
    __runicornHistograms?: Record<string, { grid: HistogramGrid; step: number; edges: number[]; counts: number[]; drawMs: number }>;
  }
}

/** Steps fetched per key: one heatmap column each at most. */
const MAX_STEPS = 1000;
const ROWS = 96;
const LIVE_REFRESH_MS = 5000;

/** Every `rn.Histogram` key of a run, TensorBoard-style: a heatmap of the distribution over steps. */
export function HistogramPanel({ runId, running, colors }: { runId: string; running: boolean; colors: ChartColors }) {
  const { t } = useI18n();
  const keys = useAsync(`hist-keys:${runId}`, (signal) => histogramsApi.keys(runId, signal));
  const [collapsed, setCollapsed] = useState(false);
  usePolling(keys.reload, LIVE_REFRESH_MS, running);
  const list = keys.data?.keys ?? [];
  if (list.length === 0) return null;
  const revision = list.map((k) => `${k.key}:${k.steps}:${k.last_step}`).join("|");
  return (
    <section className="chart-section histogram-section" data-testid="histogram-panel" data-group="histograms">
      <button type="button" className="section-header" aria-expanded={!collapsed} onClick={() => setCollapsed((c) => !c)}>
        <span className="caret">{collapsed ? "▸" : "▾"}</span>
        <span>{t("histograms.title")}</span>
        <span className="count">{list.length}</span>
      </button>
      {!collapsed && (
        <div className="chart-grid">
          {list.map((k) => (
            <HistogramCard key={k.key} runId={runId} histogramKey={k.key} revision={revision} colors={colors} />
          ))}
        </div>
      )}
    </section>
  );
}

function HistogramCard({ runId, histogramKey, revision, colors }: { runId: string; histogramKey: string; revision: string; colors: ChartColors }) {
  const { t } = useI18n();
  const series = useAsync(`hist:${runId}:${histogramKey}`, (signal) =>
    histogramsApi.series(runId, histogramKey, MAX_STEPS, signal),
  );
  // New steps logged: read again, keeping the drawn data until the answer comes.
  const seen = useRef(revision);
  const { reload } = series;
  useEffect(() => {
    if (seen.current === revision) return;
    seen.current = revision;
    reload();
  }, [revision, reload]);
  const data = series.data ?? null;
  // null: follow the latest step (a live run moves on); a number: the step the user picked.
  const [picked, setPicked] = useState<number | null>(null);
  const count = data?.steps.length ?? 0;
  const index = data && count > 0 ? (picked === null ? count - 1 : nearestStepIndex(data.steps, picked)) : -1;
  const step = index >= 0 && data ? data.steps[index] : null;
  const state = series.error && !data ? "error" : !data ? "loading" : count === 0 ? "empty" : "ready";

  return (
    <div className="chart-card histogram-card" data-testid="histogram-card" data-key={histogramKey} data-state={state} data-steps={count} data-step={step ?? ""}>
      <div className="chart-head">
        <span className="chart-title" title={histogramKey}>
          {histogramKey}
        </span>
        {data && data.total > count && (
          <span className="chip chip-small" title={t("histograms.thinnedHint", { n: data.total })}>
            {t("histograms.thinned", { n: count, total: data.total })}
          </span>
        )}
      </div>
      {state === "error" ? (
        <div className="chart-state error">{errorMessage(series.error)}</div>
      ) : state === "ready" && data ? (
        <HistogramBody data={data} index={index} colors={colors} histogramKey={histogramKey} onPick={(i) => setPicked(i === count - 1 ? null : data.steps[i])} />
      ) : state === "empty" ? (
        <div className="chart-state muted">{t("histograms.empty")}</div>
      ) : (
        <div className="chart-state">
          <span className="skeleton skeleton-chart" />
        </div>
      )}
    </div>
  );
}

function HistogramBody({
  data,
  index,
  colors,
  histogramKey,
  onPick,
}: {
  data: HistogramResponse;
  index: number;
  colors: ChartColors;
  histogramKey: string;
  onPick: (index: number) => void;
}) {
  const { t } = useI18n();
  const heatmapRef = useRef<HTMLCanvasElement>(null);
  const barsRef = useRef<HTMLCanvasElement>(null);
  const [drawMs, setDrawMs] = useState<number | null>(null);
  const grid = useMemo(() => histogramGrid(data, ROWS), [data]);
  const count = data.steps.length;
  const edges = useMemo(() => data.edges.at(index) ?? [], [data, index]);
  const counts = useMemo(() => data.counts.at(index) ?? [], [data, index]);
  const step = data.steps[index];
  const moments = histogramMoments(edges, counts);

  useLayoutEffect(() => {
    const canvas = heatmapRef.current;
    if (!canvas) return;
    const started = performance.now();
    drawHeatmap(canvas, grid, colors.accent);
    setDrawMs(performance.now() - started);
  }, [grid, colors.accent]);

  useLayoutEffect(() => {
    const canvas = barsRef.current;
    if (canvas) drawBars(canvas, edges, counts, grid.lo, grid.hi, colors);
  }, [edges, counts, grid.lo, grid.hi, colors]);

  useEffect(() => {
    const hook = (window.__runicornHistograms ??= {});
    const entry = { grid, step, edges, counts, drawMs: drawMs ?? NaN };
    hook[histogramKey] = entry;
    return () => {
      if (hook[histogramKey] === entry) Reflect.deleteProperty(hook, histogramKey);
    };
  }, [histogramKey, grid, step, edges, counts, drawMs]);

  const markerLeft = count > 1 ? ((index + 0.5) / count) * 100 : 50;
  return (
    <div className="histogram-body">
      <div className="histogram-axis-row">
        <span className="histogram-axis mono">{formatCompact(grid.hi)}</span>
        <div
          className="histogram-heatmap"
          onClick={(e) => {
            const box = e.currentTarget.getBoundingClientRect();
            onPick(Math.min(count - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * count))));
          }}
          title={t("histograms.heatmapHint")}
        >
          <canvas ref={heatmapRef} height={HEATMAP_HEIGHT} data-testid="histogram-heatmap" data-draw-ms={drawMs === null ? "" : drawMs.toFixed(1)} />
          <div className="histogram-marker" style={{ left: `${markerLeft}%` }} />
        </div>
      </div>
      <div className="histogram-axis-row">
        <span className="histogram-axis mono">{formatCompact(grid.lo)}</span>
        <div className="histogram-steps muted small mono">
          <span>{formatCompact(data.steps[0])}</span>
          <span>{formatCompact(data.steps[count - 1])}</span>
        </div>
      </div>
      <div className="histogram-slider-row">
        <input
          type="range"
          min={0}
          max={Math.max(0, count - 1)}
          step={1}
          value={index}
          onChange={(e) => onPick(Number(e.target.value))}
          aria-label={t("histograms.step")}
          data-testid="histogram-step-slider"
        />
        <span className="mono small" data-testid="histogram-step" data-step={step}>
          {t("histograms.stepLabel", { step: formatNumber(step, 10) })}
        </span>
      </div>
      <canvas ref={barsRef} height={BARS_HEIGHT} className="histogram-bars" data-testid="histogram-bars" />
      <div className="muted small mono histogram-stats">
        {t("histograms.stats", { n: formatNumber(moments.total, 6), mean: formatNumber(moments.mean, 4), std: formatNumber(moments.std, 4) })}
      </div>
    </div>
  );
}
