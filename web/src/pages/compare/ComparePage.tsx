import { useEffect, useMemo, useState } from "react";
import { Link } from "react-router";
import { api } from "../../api/client";
import type { RunItem } from "../../api/types";
import { chartColors } from "../../charts/axes";
import { chartX } from "../../charts/build";
import { ChartToolbar } from "../../charts/ChartToolbar";
import { CompareChart } from "../../charts/CompareChart";
import { GroupControls } from "../../charts/GroupControls";
import { MetricsStore } from "../../charts/metricsStore";
import { WorkspacePanel, type PanelContext } from "../../charts/WorkspacePanel";
import { WorkspaceView } from "../../charts/WorkspaceView";
import { StatusBadge } from "../../components/StatusBadge";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { usePolling } from "../../hooks/usePolling";
import { useUrlState, type UrlStateUpdate } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { isSystemKey, matchKeys } from "../../lib/metricKeys";
import { colorAt } from "../../lib/palette";
import { chartLines, groupableConfigKeys } from "../../lib/runGroups";
import { decodeCompare, encodeCompare, runHref, type CompareState } from "../../lib/urlState";
import { COMPARE_SCOPE } from "../../lib/workspace";
import { useSettings } from "../../settings/context";
import { useTheme } from "../../theme/context";
import { CompareMedia } from "./CompareMedia";
import { CompareSweep } from "./CompareSweep";
import { ConfigDiffTable } from "./ConfigDiffTable";
import { Icon } from "../../components/Icon";

// While a compared run is live, re-read the (server-cached, downsampled) batch this often.
const LIVE_REFRESH_MS = 3_000;

type Update = (change: UrlStateUpdate<CompareState>, options?: { push?: boolean }) => void;

/** Runs by id, in the URL's order: one v2 query for all of them. */
async function loadRuns(ids: string[], signal: AbortSignal): Promise<RunItem[]> {
  const filter = `id in (${ids.map((id) => JSON.stringify(id)).join(", ")})`;
  const found = await api.experiments({ filter, limit: Math.min(1000, ids.length) }, signal);
  const byId = new Map(found.items.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const run = byId.get(id);
    return run ? [run] : [];
  });
}

function Legend({ runs, hidden, colorOf, onToggle, onRemove }: {
  runs: RunItem[];
  hidden: ReadonlySet<string>;
  colorOf: (id: string) => string;
  onToggle: (id: string) => void;
  onRemove: (id: string) => void;
}) {
  const { t } = useI18n();
  return (
    <ul className="legend" data-testid="compare-legend">
      {runs.map((run) => {
        const off = hidden.has(run.id);
        return (
          <li key={run.id} className={off ? "legend-item off" : "legend-item"} data-testid="legend-item" data-run-id={run.id} data-hidden={off ? "true" : "false"}>
            <button type="button" className="legend-toggle" onClick={() => onToggle(run.id)} aria-pressed={!off} title={off ? t("compare.show") : t("compare.hide")}>
              <span className="swatch" style={{ background: colorOf(run.id) }} />
              <span className="legend-name">{run.name}</span>
            </button>
            <StatusBadge status={run.status} compact />
            <Link to={runHref(run.id)} className="muted small mono" title={run.id}>
              {run.id.slice(-6)}
            </Link>
            <button type="button" className="btn-icon" onClick={() => onRemove(run.id)} aria-label={t("compare.remove")} data-testid="legend-remove">
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function CompareView({ runs, state, update }: { runs: RunItem[]; state: CompareState; update: Update }) {
  const { t } = useI18n();
  const { theme } = useTheme();
  const { chartDefaults } = useSettings();
  const ids = useMemo(() => runs.map((r) => r.id), [runs]);
  const [store] = useState(() => new MetricsStore(ids, { x: state.x, zoom: state.zoom, maxPoints: chartDefaults.max_points }));
  // system/* series have no step: against step they are drawn against relative time, from their own store.
  const systemX = chartX("system/", state.x, undefined);
  const systemZoom = systemX === state.x ? state.zoom : null;
  const [systemStore] = useState(() => new MetricsStore(ids, { x: systemX, zoom: systemZoom, maxPoints: chartDefaults.max_points }));
  const colors = useMemo(() => chartColors(theme), [theme]);
  const smoothing = state.smoothing ?? chartDefaults.smoothing;
  const hidden = useMemo(() => new Set(state.hidden), [state.hidden]);
  const colorOf = useMemo(() => {
    const index = new Map(ids.map((id, i) => [id, i]));
    return (id: string) => colorAt(index.get(id) ?? 0);
  }, [ids]);

  useEffect(() => {
    store.setParams({ x: state.x, zoom: state.zoom, maxPoints: chartDefaults.max_points });
  }, [store, state.x, state.zoom, chartDefaults.max_points]);
  usePolling(
    () => {
      store.refresh();
      systemStore.refresh();
    },
    LIVE_REFRESH_MS,
    runs.some((r) => r.status === "running"),
  );
  useEffect(() => {
    systemStore.setParams({ x: systemX, zoom: systemZoom, maxPoints: chartDefaults.max_points });
  }, [systemStore, systemX, systemZoom, chartDefaults.max_points]);
  useEffect(
    () => () => {
      store.dispose();
      systemStore.dispose();
    },
    [store, systemStore],
  );

  // Metrics logged by at least two of the runs (all of them with "all metrics", or a single run).
  const keys = useMemo(() => {
    const counts = new Map<string, number>();
    for (const run of runs) for (const key of Object.keys(run.metrics)) counts.set(key, (counts.get(key) ?? 0) + 1);
    const need = state.allMetrics || runs.length < 2 ? 1 : 2;
    return [...counts.entries()].filter(([, n]) => n >= need).map(([k]) => k);
  }, [runs, state.allMetrics]);
  const shownKeys = useMemo(() => matchKeys(keys, state.search), [keys, state.search]);
  const xKeys = useMemo(() => keys.filter((k) => !k.startsWith("system/")), [keys]);

  const groupKeysList = useMemo(() => groupableConfigKeys(runs), [runs]);

  const visible = useMemo(() => runs.filter((r) => !hidden.has(r.id)), [runs, hidden]);
  const { lines, mode } = useMemo(() => chartLines(visible, state.groupBy, colorOf), [visible, state.groupBy, colorOf]);

  const runKeys = useMemo(() => Object.fromEntries(runs.map((r) => [r.id, Object.keys(r.metrics)])), [runs]);
  const panelContext: PanelContext = {
    store,
    lines,
    mode,
    runKeys,
    x: state.x,
    smoothing,
    smoothWindow: state.smoothWindow,
    band: state.band,
    logY: state.logY,
    zoom: state.zoom,
    onZoom: (zoom) => update({ zoom }, { push: true }),
    maxPoints: chartDefaults.max_points,
    colors,
    syncKey: `compare-${state.x}`,
    running: runs.some((r) => r.status === "running"),
  };

  const toggle = (id: string) =>
    update((s) => ({ hidden: s.hidden.includes(id) ? s.hidden.filter((h) => h !== id) : [...s.hidden, id] }));

  return (
    <>
      <div className="compare-controls">
        <Legend runs={runs} hidden={hidden} colorOf={colorOf} onToggle={toggle} onRemove={(id) => update((s) => ({ runs: s.runs.filter((r) => r !== id) }), { push: true })} />
        <div className="row gap-m wrap">
          <GroupControls
            groupBy={state.groupBy}
            band={state.band}
            configKeys={groupKeysList}
            lines={lines}
            grouped={mode === "groups"}
            onGroupBy={(groupBy) => update({ groupBy })}
            onBand={(band) => update({ band })}
          />
          <label className="field checkbox">
            <input type="checkbox" checked={state.allMetrics} onChange={(e) => update({ allMetrics: e.target.checked })} data-testid="all-metrics-toggle" />
            <span>{t("compare.allMetrics")}</span>
          </label>
        </div>
      </div>
      <CompareSweep runs={runs} onHidden={(ids) => update({ hidden: ids })} />
      <ChartToolbar
        x={state.x}
        xKeys={xKeys}
        smoothing={smoothing}
        smoothWindow={state.smoothWindow}
        logY={state.logY}
        zoom={state.zoom}
        search={state.search}
        onChange={(change) => update(change, { push: change.zoom !== undefined || change.x !== undefined })}
      />
      {keys.length === 0 ? (
        <EmptyState testId="compare-no-metrics" title={t("compare.noSharedMetrics")} hint={t("compare.noSharedMetricsHint")} />
      ) : shownKeys.length === 0 ? (
        <EmptyState testId="charts-no-match" title={t("charts.noMatch", { q: state.search })} />
      ) : (
        <WorkspaceView
          scope={COMPARE_SCOPE}
          view={state.view}
          onView={(view) => update({ view }, { push: true })}
          keys={shownKeys}
          collapsedByDefault={["system"]}
          enabled
          renderPanel={(panel, onRemove) => <WorkspacePanel panel={panel} onRemove={onRemove} context={panelContext} />}
          renderChart={(key) => {
            const system = isSystemKey(key);
            const x = system ? systemX : state.x;
            return (
              <CompareChart
                key={key}
                store={system ? systemStore : store}
                metricKey={key}
                lines={lines}
                mode={mode}
                x={x}
                smoothing={smoothing}
                smoothWindow={state.smoothWindow}
                band={state.band}
                logY={state.logY}
                zoom={system ? systemZoom : state.zoom}
                maxPoints={chartDefaults.max_points}
                onZoom={(zoom) => update({ x, zoom }, { push: true })}
                colors={colors}
                syncKey={`compare-${x}`}
              />
            );
          }}
        />
      )}
      <CompareMedia
        runs={visible}
        allIds={ids}
        colorOf={colorOf}
        mediaKey={state.mediaKey}
        step={state.mediaStep}
        onChange={(change) => update(change)}
      />
      <ConfigDiffTable runs={runs} colorOf={colorOf} />
    </>
  );
}

export default function ComparePage() {
  const { t } = useI18n();
  const [state, update] = useUrlState(decodeCompare, encodeCompare);
  const idsKey = state.runs.join(",");
  const runs = useAsync(idsKey ? `compare:${idsKey}` : null, (signal) => loadRuns(state.runs, signal));
  const missing = runs.data ? state.runs.filter((id) => !runs.data?.some((r) => r.id === id)) : [];

  let body: React.ReactNode;
  if (state.runs.length === 0) {
    body = (
      <EmptyState
        testId="compare-empty"
        icon={<Icon name="compare" size={18} />}
        title={t("compare.none")}
        hint={t("compare.noneHint")}
        action={
          <Link className="btn btn-primary" to="/">
            {t("compare.pickRuns")}
          </Link>
        }
      />
    );
  } else if (runs.error && !runs.data) {
    body = <ErrorState error={runs.error} onRetry={runs.reload} testId="compare-error" />;
  } else if (!runs.data) {
    body = <LoadingState testId="compare-loading" />;
  } else if (runs.data.length === 0) {
    body = <EmptyState testId="compare-not-found" title={t("compare.notFound")} />;
  } else {
    body = <CompareView key={runs.data.map((r) => r.id).join(",")} runs={runs.data} state={state} update={update} />;
  }

  return (
    <div className="compare-page" data-testid="compare-page">
      <div className="page-header">
        <h1>{t("compare.title")}</h1>
        {state.runs.length > 0 && <span className="muted">{t("compare.count", { n: state.runs.length })}</span>}
        {missing.length > 0 && (
          <span className="chip chip-warn" data-testid="compare-missing" title={missing.join(", ")}>
            {t("compare.missing", { n: missing.length })}
          </span>
        )}
      </div>
      {body}
    </div>
  );
}
