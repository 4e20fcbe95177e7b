import { useEffect, useMemo, useState } from "react";
import type uPlot from "uplot";
import { usePolling } from "../hooks/usePolling";
import { useI18n } from "../i18n/context";
import { formatExact } from "../lib/format";
import { scatterColumns } from "../lib/keyVsKey";
import type { Zoom } from "../lib/urlState";
import { STEP_AXIS } from "../lib/workspace";
import { baseOptions, type ChartColors } from "./axes";
import type { CompareLine } from "./build";
import { MetricsStore, type SeriesData } from "./metricsStore";
import { tooltipPlugin, type TooltipRow } from "./tooltip";
import { UPlotChart } from "./UPlotChart";
import { useSeriesEntry } from "./useMetricsStore";

export interface KeyVsKeyChartProps {
  panelId: string;
  /** The x key, or {@link STEP_AXIS}. */
  xKey: string;
  yKey: string;
  /** The page's lines: one run, the compared runs, or their groups. */
  lines: CompareLine[];
  /** Which keys each run logged: a run lacking either key is left out (and named). */
  runKeys: Readonly<Record<string, readonly string[]>>;
  logY: boolean;
  maxPoints: number;
  colors: ChartColors;
  /** A compared run is still logging: read the pairs again now and then. */
  running: boolean;
  onRemove: () => void;
}

const HEIGHT = 230;
const LIVE_REFRESH_MS = 3_000;
/** Cells (rows × lines) the merged table may reach: each run gets its share of the points. */
const CELL_BUDGET = 2_000_000;

/**
 * One metric against another, a point per step where both were logged, one colour per run (or
 * group). The pairs are joined on the step by the server (`x=<key>`), from a store of the panel's
 * own, so the page's x axis, zoom and smoothing do not apply here; a drag zooms the panel alone.
 */
export function KeyVsKeyChart(props: KeyVsKeyChartProps) {
  const { lines, runKeys, xKey, yKey, maxPoints } = props;
  const axis = xKey === STEP_AXIS ? "step" : xKey;
  const { eligible, missing } = useMemo(() => {
    const has = (id: string, key: string) => (runKeys[id] as readonly string[] | undefined)?.includes(key) ?? false;
    const all = lines.flatMap((l) => l.members);
    const ok = all.filter((id) => has(id, yKey) && (axis === "step" || has(id, xKey)));
    return { eligible: ok, missing: all.length - ok.length };
  }, [lines, runKeys, xKey, yKey, axis]);
  const perRun = Math.max(100, Math.min(maxPoints, Math.floor(CELL_BUDGET / Math.max(1, eligible.length) ** 2)));
  // A store of the panel's own, made anew when its runs or axis change.
  const storeKey = `${axis}\n${perRun}\n${eligible.join("\n")}`;
  return <KeyVsKeyBody key={storeKey} {...props} axis={axis} eligible={eligible} missing={missing} perRun={perRun} />;
}

interface BodyProps extends KeyVsKeyChartProps {
  axis: string;
  eligible: string[];
  missing: number;
  perRun: number;
}

function KeyVsKeyBody({ panelId, xKey, yKey, lines, logY, colors, running, onRemove, axis, eligible, missing, perRun }: BodyProps) {
  const { t } = useI18n();
  const [store] = useState(() => new MetricsStore(eligible, { x: axis, zoom: null, maxPoints: perRun }));
  useEffect(() => {
    if (store.runIds.length > 0) store.want(yKey);
    return () => store.dispose();
  }, [store, yKey]);
  usePolling(() => store.refresh(), LIVE_REFRESH_MS, running);
  const entry = useSeriesEntry(store, yKey);
  const [zoom, setZoom] = useState<Zoom>(null);

  const shownLines = useMemo(() => lines.map((l) => ({ ...l, members: l.members.filter((id) => eligible.includes(id)) })), [lines, eligible]);
  const table = useMemo(() => scatterColumns(shownLines, entry.runs as Record<string, SeriesData | undefined>, logY), [shownLines, entry.runs, logY]);
  const downsampled = Object.values(entry.runs).some((d) => d.downsampled);
  const drawn = table.points.reduce((n, p) => n + p, 0);

  const options = useMemo(() => {
    const series: uPlot.Series[] = [
      {},
      ...shownLines.map((line) => ({
        label: line.label,
        stroke: line.color,
        fill: line.color,
        width: 0,
        paths: () => null,
        points: { show: true, size: 5, width: 1, stroke: line.color, fill: line.color },
      })),
    ];
    const rows = (u: uPlot, i: number): TooltipRow[] =>
      shownLines.flatMap((line, l) => {
        const v = u.data[l + 1][i];
        return v === null || v === undefined ? [] : [{ label: `${line.label} · ${yKey}`, color: line.color, value: formatExact(v) }];
      });
    return {
      ...baseOptions({ xMode: axis, logY, zoom, colors, syncKey: `xy-${panelId}` }),
      series,
      plugins: [tooltipPlugin({ title: (u, i) => `${xKey} ${formatExact(u.data[0][i])}`, rows })],
    };
  }, [shownLines, axis, xKey, yKey, logY, zoom, colors, panelId]);

  const state = entry.status === "error" ? "error" : entry.status === "ready" || Object.keys(entry.runs).length > 0 ? (table.data[0].length > 0 ? "ready" : "empty") : eligible.length === 0 ? "empty" : "loading";

  return (
    <div className="chart-card" data-testid="panel-card" data-panel={panelId} data-kind="xy" data-state={state} data-points={table.data[0].length} data-dropped={table.dropped}>
      <div className="chart-head">
        <span className="chart-title" title={`${yKey} / ${xKey}`}>
          <span className="panel-key">{yKey}</span>
          <span className="muted"> {t("workspace.xyAgainst")} </span>
          <span className="panel-key">{xKey}</span>
        </span>
        {downsampled && <span className="chip chip-small">{t("charts.downsampled")}</span>}
        <div className="spacer" />
        <button type="button" className="mini-btn" onClick={onRemove} title={t("workspace.removePanel")} data-testid="panel-remove">
          ×
        </button>
      </div>
      <div className="xy-note muted small" data-testid="panel-xy-note">
        {axis === "step" ? t("workspace.xyStepNote", { n: drawn }) : t("workspace.xyAlignedNote", { n: drawn })}
        {table.dropped > 0 && ` · ${t("workspace.xyDropped", { n: table.dropped })}`}
        {missing > 0 && ` · ${t("workspace.xyMissing", { n: missing })}`}
      </div>
      <div className="chart-body" style={{ height: HEIGHT }}>
        {state === "ready" ? (
          <UPlotChart chartKey={`panel:${panelId}`} testId={`chart-panel:${panelId}`} options={options} data={table.data} height={HEIGHT - 4} onZoom={setZoom} />
        ) : state === "loading" ? (
          <div className="chart-state">
            <span className="skeleton skeleton-chart" />
          </div>
        ) : (
          <div className={state === "error" ? "chart-state error" : "chart-state"}>{state === "error" ? entry.error : t("workspace.xyNone")}</div>
        )}
      </div>
    </div>
  );
}
