import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from "react";
import { useI18n } from "../i18n/context";
import { colorAt } from "../lib/palette";
import { memberOf, panelLines } from "./panelLines";
import { compareColumns, smoothingOn } from "./build";
import { compareOptions } from "./compareOptions";
import type { MetricsStore, SeriesData, SeriesEntry } from "./metricsStore";
import { UPlotChart } from "./UPlotChart";
import type { PanelContext } from "./WorkspacePanel";

export interface PanelChartProps extends Omit<PanelContext, "runKeys" | "running"> {
  panelId: string;
  keys: string[];
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

/** A custom panel: several metrics on one chart, of one run (a colour each) or of compared runs. */
export function PanelChart(props: PanelChartProps) {
  const { store, panelId, keys, x, logY, zoom, colors, maxPoints, mode, syncKey } = props;
  const { t } = useI18n();
  useEffect(() => {
    for (const key of keys) store.want(key);
  }, [store, keys]);
  const entries = useSeriesEntries(store, keys);
  const spec = useMemo(() => ({ strength: props.smoothing, window: props.smoothWindow }), [props.smoothing, props.smoothWindow]);
  const smooth = smoothingOn(spec);
  const styled = useMemo(() => panelLines(props.lines, keys), [props.lines, keys]);
  const lines = useMemo(() => styled.map((s) => s.line), [styled]);
  const byMember = useMemo(() => {
    const out: Record<string, SeriesData> = {};
    keys.forEach((k, i) => {
      for (const [runId, data] of Object.entries(entries[i].runs)) out[memberOf(k, runId)] = data;
    });
    return out;
  }, [entries, keys]);

  const dashes = useMemo(() => styled.map((s) => s.dash), [styled]);
  const options = useMemo(
    () => compareOptions({ lines, mode, smooth, x, logY, zoom, colors, syncKey, dashes }),
    [lines, dashes, mode, smooth, x, logY, zoom, colors, syncKey],
  );

  const data = useMemo(() => compareColumns(lines, byMember, mode, spec, logY, maxPoints, props.band), [lines, byMember, mode, spec, logY, maxPoints, props.band]);
  const ready = Object.keys(byMember).length > 0 && data[0].length > 0;

  return (
    <div className="chart-card" data-testid="panel-card" data-panel={panelId} data-state={ready ? "ready" : "loading"}>
      <div className="chart-head">
        <span className="chart-title" title={keys.join(", ")}>
          {keys.map((k, i) => (
            <span key={k} className="panel-key" style={props.lines.length === 1 ? { color: colorAt(i) } : undefined}>
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
