import { useEffect, useMemo, useState } from "react";
import type { JsonValue, RunDetail } from "../../api/types";
import { chartColors } from "../../charts/axes";
import { ChartToolbar } from "../../charts/ChartToolbar";
import { HistogramPanel } from "../../charts/HistogramPanel";
import { WorkspacePanel, type PanelContext } from "../../charts/WorkspacePanel";
import { WorkspaceView } from "../../charts/WorkspaceView";
import type { MetricsStore } from "../../charts/metricsStore";
import { RunChart } from "../../charts/RunChart";
import { useMetricKeys, useSeriesEntry } from "../../charts/useMetricsStore";
import { EmptyState } from "../../components/States";
import type { UrlStateUpdate } from "../../hooks/useUrlState";
import { usePreference } from "../../hooks/usePreference";
import { useI18n } from "../../i18n/context";
import { parseOverrides, withOverride } from "../../lib/chartOverrides";
import { isSystemKey, matchKeys } from "../../lib/metricKeys";
import { colorAt } from "../../lib/palette";
import type { RunPageState } from "../../lib/urlState";
import { runScope } from "../../lib/workspace";
import { useSettings } from "../../settings/context";
import { useTheme } from "../../theme/context";
import { Icon } from "../../components/Icon";

export interface ChartsTabProps {
  run: RunDetail;
  store: MetricsStore;
  state: RunPageState;
  update: (change: UrlStateUpdate<RunPageState>, options?: { push?: boolean }) => void;
  /** The System tab: only `system/*` series, drawn against time. */
  system: boolean;
  running: boolean;
}

/** Fewer samples than this draw a dot or a flat segment, not a chart worth reading. */
const MIN_SYSTEM_SAMPLES = 3;

/** How many samples the run's series `key` has (null until it is loaded, or without `key`). */
function useSampleCount(store: MetricsStore, runId: string, key: string | undefined): number | null {
  useEffect(() => {
    if (key) store.want(key);
  }, [store, key]);
  const entry = useSeriesEntry(store, key ?? "");
  if (!key || entry.status === "idle") return null;
  return runId in entry.runs ? entry.runs[runId].count : null;
}

export function ChartsTab({ run, store, state, update, system, running }: ChartsTabProps) {
  const { t } = useI18n();
  const { theme } = useTheme();
  const { chartDefaults } = useSettings();
  const allKeys = useMetricKeys(store);
  // A chart's own settings follow its metric from run to run, saved as a UI preference.
  const [stored, saveOverrides] = usePreference<JsonValue>("charts.overrides", {});
  const overrides = useMemo(() => parseOverrides(stored), [stored]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const colors = useMemo(() => chartColors(theme), [theme]);
  const smoothing = state.smoothing ?? chartDefaults.smoothing;

  const chartKeys = useMemo(
    () => matchKeys(system ? allKeys.filter(isSystemKey) : allKeys, state.search),
    [allKeys, system, state.search],
  );
  const xKeys = useMemo(() => allKeys.filter((k) => !isSystemKey(k)), [allKeys]);
  // The System tab waits for a few samples: one or two draw empty-looking charts.
  const sampledKey = system && !state.zoom ? allKeys.find(isSystemKey) : undefined;
  const systemSamples = useSampleCount(store, run.id, sampledKey);

  const renderChart = (key: string) => (
    <RunChart
      key={key}
      store={store}
      runId={run.id}
      metricKey={key}
      x={state.x}
      xKeys={xKeys}
      smoothing={smoothing}
      smoothWindow={state.smoothWindow}
      logY={state.logY}
      zoom={state.zoom}
      onZoom={(zoom) => update({ zoom }, { push: true })}
      maxPoints={chartDefaults.max_points}
      running={running}
      colors={colors}
      override={overrides[key]}
      onOverride={(o) => saveOverrides(withOverride(overrides, key, o) as JsonValue)}
      expanded={expanded.has(key)}
      onExpand={() =>
        setExpanded((prev) => {
          const next = new Set(prev);
          if (next.has(key)) next.delete(key);
          else next.add(key);
          return next;
        })
      }
    />
  );

  const panelLines = useMemo(() => [{ id: run.id, label: run.name, color: colorAt(0), members: [run.id] }], [run.id, run.name]);
  const runKeys = useMemo(() => ({ [run.id]: allKeys }), [run.id, allKeys]);
  const panelContext: PanelContext = {
    store,
    lines: panelLines,
    mode: "runs",
    runKeys,
    x: state.x,
    smoothing,
    smoothWindow: state.smoothWindow,
    logY: state.logY,
    zoom: state.zoom,
    onZoom: (zoom) => update({ zoom }, { push: true }),
    maxPoints: chartDefaults.max_points,
    colors,
    syncKey: `run-${run.id}-${state.x}`,
    running,
  };

  const noKeysAtAll = system ? !allKeys.some(isSystemKey) : allKeys.length === 0;
  return (
    <div className="charts-tab" data-testid={system ? "system-charts" : "charts"}>
      <ChartToolbar
        x={state.x}
        xKeys={xKeys}
        smoothing={smoothing}
        smoothWindow={state.smoothWindow}
        logY={state.logY}
        zoom={state.zoom}
        search={state.search}
        onChange={(change) => {
          const { smoothing: s, ...rest } = change;
          update({ ...rest, ...(s === undefined ? {} : { smoothing: s }) }, { push: change.zoom !== undefined || change.x !== undefined });
        }}
      >
        <button type="button" className="btn btn-small" onClick={() => store.refresh()} data-testid="charts-refresh">
          <Icon name="refresh" size={12} /> {t("common.refresh")}
        </button>
      </ChartToolbar>
      {noKeysAtAll ? (
        <EmptyState
          testId="charts-empty"
          icon={<Icon name="chart" size={18} />}
          title={system ? t("charts.noSystem") : t("charts.noMetrics")}
          hint={running ? t("charts.waitingLive") : system ? t("charts.noSystemHint") : t("charts.noMetricsHint")}
        />
      ) : systemSamples !== null && systemSamples < MIN_SYSTEM_SAMPLES ? (
        <EmptyState
          testId="system-few-samples"
          icon={<Icon name="chart" size={18} />}
          title={t("charts.fewSystemSamples", { n: systemSamples })}
          hint={t("charts.fewSystemSamplesHint")}
        />
      ) : chartKeys.length === 0 ? (
        <EmptyState testId="charts-no-match" title={t("charts.noMatch", { q: state.search })} />
      ) : (
        <WorkspaceView
          scope={runScope(run.project)}
          view={system ? null : state.view}
          onView={(view) => update({ view }, { push: true })}
          keys={chartKeys}
          renderChart={renderChart}
          collapsedByDefault={system ? [] : ["system"]}
          enabled={!system}
          renderPanel={(panel, onRemove) => <WorkspacePanel panel={panel} onRemove={onRemove} context={panelContext} />}
        />
      )}
      {!system && <HistogramPanel runId={run.id} running={running} colors={colors} />}
    </div>
  );
}
