import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import type uPlot from "uplot";
import type { XMode } from "../api/types";
import { useI18n } from "../i18n/context";
import { formatExact } from "../lib/format";
import { colorAt } from "../lib/palette";
import type { Zoom } from "../lib/urlState";
import { baseOptions, xFormatter, type ChartColors } from "./axes";
import { compareColumns, compareSeries, smoothingOn, type CompareLine } from "./build";
import type { MetricsStore, SeriesData, SeriesEntry } from "./metricsStore";
import { tooltipPlugin, type TooltipRow } from "./tooltip";
import { UPlotChart } from "./UPlotChart";

export interface PanelChartProps {
  store: MetricsStore;
  runId: string;
  panelId: string;
  keys: string[];
  x: XMode;
  smoothing: number;
  smoothWindow: number;
  logY: boolean;
  zoom: Zoom;
  onZoom: (zoom: Zoom) => void;
  maxPoints: number;
  colors: ChartColors;
  onRemove: () => void;
}

const HEIGHT = 230;

/** The entries of several keys, one snapshot that changes only when one of them does. */
function useSeriesEntries(store: MetricsStore, keys: readonly string[]): SeriesEntry[] {
  const cache = useRef<SeriesEntry[]>([]);
  const subscribe = useCallback(
    (listener: () => void) => {
      const stops = keys.map((k) => store.subscribe(k, listener));
      return () => {
        for (const stop of stops) stop();
      };
    },
    [store, keys],
  );
  const snapshot = useCallback(() => {
    const next = keys.map((k) => store.getEntry(k));
    const prev = cache.current;
    if (prev.length === next.length && next.every((e, i) => e === prev[i])) return prev;
    cache.current = next;
    return next;
  }, [store, keys]);
  return useSyncExternalStore(subscribe, snapshot);
}

/** A custom panel: several metrics of one run on one chart, one colour each. */
export function PanelChart(props: PanelChartProps) {
  const { store, runId, panelId, keys, x, logY, zoom, colors, maxPoints } = props;
  const { t } = useI18n();
  useEffect(() => {
    for (const key of keys) store.want(key);
  }, [store, keys]);
  const entries = useSeriesEntries(store, keys);
  const spec = useMemo(() => ({ strength: props.smoothing, window: props.smoothWindow }), [props.smoothing, props.smoothWindow]);
  const smooth = smoothingOn(spec);
  const lines: CompareLine[] = useMemo(() => keys.map((k, i) => ({ id: k, label: k, color: colorAt(i), members: [k] })), [keys]);
  const byKey = useMemo(() => {
    const out: Record<string, SeriesData> = {};
    keys.forEach((k, i) => {
      const data = entries[i].runs[runId] as SeriesData | undefined;
      if (data) out[k] = data;
    });
    return out;
  }, [entries, keys, runId]);

  const options = useMemo(() => {
    const { series, bands, main } = compareSeries(lines, "runs", smooth);
    const xFormat = xFormatter(x);
    const rows = (u: uPlot, i: number): TooltipRow[] =>
      lines.flatMap((line, l) => {
        const v = u.data[main[l]][i];
        return v === undefined ? [] : [{ label: line.label, color: line.color, value: formatExact(v ?? NaN) }];
      });
    return {
      ...baseOptions({ xMode: x, logY, zoom, colors, syncKey: `run-${runId}-${x}` }),
      series,
      bands,
      plugins: [tooltipPlugin({ title: (u, i) => xFormat.title(u.data[0][i]), rows })],
    };
  }, [lines, smooth, x, logY, zoom, colors, runId]);

  const data = useMemo(() => compareColumns(lines, byKey, "runs", spec, logY, maxPoints), [lines, byKey, spec, logY, maxPoints]);
  const ready = Object.keys(byKey).length > 0 && data[0].length > 0;

  return (
    <div className="chart-card" data-testid="panel-card" data-panel={panelId} data-state={ready ? "ready" : "loading"}>
      <div className="chart-head">
        <span className="chart-title" title={keys.join(", ")}>
          {keys.map((k, i) => (
            <span key={k} className="panel-key" style={{ color: colorAt(i) }}>
              {k}
            </span>
          ))}
        </span>
        <div className="spacer" />
        <button type="button" className="mini-btn" onClick={props.onRemove} title={t("workspace.removePanel")} data-testid="panel-remove">
          ×
        </button>
      </div>
      <div className="chart-body" style={{ height: HEIGHT }}>
        {ready ? (
          <UPlotChart chartKey={`panel:${panelId}`} testId={`chart-panel:${panelId}`} options={options} data={data} height={HEIGHT - 4} onZoom={props.onZoom} />
        ) : (
          <div className="chart-state">
            <span className="skeleton skeleton-chart" />
          </div>
        )}
      </div>
    </div>
  );
}
