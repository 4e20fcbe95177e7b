import { useEffect, useMemo, useState } from "react";
import { api } from "../../api/client";
import type { RunItem } from "../../api/types";
import { chartColors } from "../../charts/axes";
import { ChartSections } from "../../charts/ChartSections";
import { CompareChart } from "../../charts/CompareChart";
import { GroupControls } from "../../charts/GroupControls";
import { MetricsStore } from "../../charts/metricsStore";
import { ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { useI18n } from "../../i18n/context";
import type { GroupBand } from "../../lib/groupStats";
import { isSystemKey } from "../../lib/metricKeys";
import { chartLines, groupableConfigKeys } from "../../lib/runGroups";
import type { Zoom } from "../../lib/urlState";
import { useSettings } from "../../settings/context";
import { useTheme } from "../../theme/context";
import "./experimentCharts.css";

/** The most selected runs one panel draws (one batch request per chart). */
export const MAX_CHART_RUNS = 100;

async function runsById(ids: readonly string[], signal: AbortSignal): Promise<RunItem[]> {
  const filter = `id in (${ids.map((id) => JSON.stringify(id)).join(", ")})`;
  const found = await api.experiments({ filter, limit: ids.length }, signal);
  const byId = new Map(found.items.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export interface RunChartsPanelProps {
  /** The selected runs' ids, in selection order (their colours); empty: the table's top runs. */
  selected: readonly string[];
  /** The table's first rows (the page's TOP_RUNS), charted when nothing is selected. */
  topRuns: readonly RunItem[];
  colorOf: (id: string, index: number) => string;
  groupBy: string | null;
  band: GroupBand;
  onGroupBy: (field: string | null) => void;
  onBand: (band: GroupBand) => void;
}

/**
 * The project workspace's charts: every metric of the selected runs (or the table's top runs),
 * one line per run or grouped with a mean and band, drawn by compare's chart.
 */
export default function RunChartsPanel(props: RunChartsPanelProps) {
  const { t } = useI18n();
  const chosen = props.selected.slice(0, MAX_CHART_RUNS);
  const key = chosen.join(",");
  const loaded = useAsync(key ? `experiment-charts:${key}` : null, (signal) => runsById(chosen, signal));
  const runs: readonly RunItem[] | undefined = chosen.length ? loaded.data : props.topRuns;
  const caption = chosen.length
    ? t("experiments.chartsSelected", { n: chosen.length })
    : t("experiments.chartsTop", { n: props.topRuns.length });

  let body: React.ReactNode;
  if (chosen.length && loaded.error && !loaded.data) body = <ErrorState error={loaded.error} onRetry={loaded.reload} testId="experiment-charts-error" />;
  else if (!runs) body = <LoadingState testId="experiment-charts-loading" />;
  else if (runs.length === 0) body = <div className="muted" data-testid="experiment-charts-empty">{t("experiments.chartsNone")}</div>;
  else body = <RunCharts key={runs.map((r) => r.id).join(",")} runs={runs} {...props} />;

  return (
    <section className="experiment-charts" data-testid="experiment-charts" data-runs={runs?.length ?? 0}>
      <div className="muted small experiment-charts-caption" data-testid="experiment-charts-caption">
        {caption}
      </div>
      {body}
    </section>
  );
}

function RunCharts({ runs, colorOf, groupBy, band, onGroupBy, onBand }: RunChartsPanelProps & { runs: readonly RunItem[] }) {
  const { theme } = useTheme();
  const { chartDefaults } = useSettings();
  const ids = useMemo(() => runs.map((r) => r.id), [runs]);
  const [zoom, setZoom] = useState<Zoom>(null);
  const [store] = useState(() => new MetricsStore(ids, { x: "step", zoom: null, maxPoints: chartDefaults.max_points }));
  useEffect(() => {
    store.setParams({ x: "step", zoom, maxPoints: chartDefaults.max_points });
  }, [store, zoom, chartDefaults.max_points]);
  useEffect(() => () => store.dispose(), [store]);
  const colors = useMemo(() => chartColors(theme), [theme]);

  const keys = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].filter((k) => !isSystemKey(k)).sort(), [runs]);
  const configKeys = useMemo(() => groupableConfigKeys(runs), [runs]);
  const { lines, mode } = useMemo(() => {
    const index = new Map(ids.map((id, i) => [id, i]));
    return chartLines(runs, groupBy, (id) => colorOf(id, index.get(id) ?? 0));
  }, [runs, ids, groupBy, colorOf]);

  return (
    <>
      <div className="row gap-m wrap experiment-charts-controls">
        <GroupControls groupBy={groupBy} band={band} configKeys={configKeys} lines={lines} grouped={mode === "groups"} onGroupBy={onGroupBy} onBand={onBand} />
      </div>
      <ChartSections
        keys={keys}
        renderChart={(metricKey) => (
          <CompareChart
            key={metricKey}
            store={store}
            metricKey={metricKey}
            lines={lines}
            mode={mode}
            x="step"
            smoothing={chartDefaults.smoothing}
            band={band}
            logY={false}
            zoom={zoom}
            maxPoints={chartDefaults.max_points}
            onZoom={setZoom}
            colors={colors}
            syncKey="experiments-step"
          />
        )}
      />
    </>
  );
}
