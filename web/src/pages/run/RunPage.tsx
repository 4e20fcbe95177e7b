import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError } from "../../api/client";
import { openMetricsSocket, type SocketState } from "../../api/socket";
import type { RunDetail, RunItem } from "../../api/types";
import { MetricsStore } from "../../charts/metricsStore";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { usePolling } from "../../hooks/usePolling";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { isSystemKey } from "../../lib/metricKeys";
import { decodeRun, encodeRun, RUN_TABS, type RunTab } from "../../lib/urlState";
import { useSettings } from "../../settings/context";
import { ChartAlertsContext } from "../../charts/alertMarkers";
import { ChartStagesContext } from "../../charts/stageBands";
import { AlertsPanel } from "./AlertsPanel";
import { ChartsTab } from "./ChartsTab";
import { RunHeader } from "./RunHeader";
import { prefetchedRunAnswer, takePrefetchedRunDetail } from "./runPrefetch";
import { useRunAlerts } from "./useRunAlerts";
import { useRunStages } from "./useRunStages";

const DETAIL_REFRESH_MS = 10_000;

// The other tabs load when opened: their code (lineage, media, logs) stays off the charts' path.
const ArtifactsTab = lazy(() => import("./ArtifactsTab").then((m) => ({ default: m.ArtifactsTab })));
const ConfigTab = lazy(() => import("./ConfigTab").then((m) => ({ default: m.ConfigTab })));
const EnvironmentTab = lazy(() => import("./EnvironmentTab").then((m) => ({ default: m.EnvironmentTab })));
const LogsTab = lazy(() => import("./LogsTab").then((m) => ({ default: m.LogsTab })));
const MediaTab = lazy(() => import("./MediaTab").then((m) => ({ default: m.MediaTab })));

function metricKeysOf(run: RunDetail): string[] {
  return run.metric_keys ?? Object.keys(run.metrics);
}

function RunView({ runId }: { runId: string }) {
  const { t } = useI18n();
  const { chartDefaults } = useSettings();
  const [state, update] = useUrlState(decodeRun, encodeRun);
  const [early] = useState(() => prefetchedRunAnswer(runId));
  const [store] = useState(() => {
    const metrics = new MetricsStore([runId], { x: state.x, zoom: state.zoom, maxPoints: chartDefaults.max_points });
    if (early) metrics.setKeys(metricKeysOf(early));
    return metrics;
  });
  // The keys reach the store with the answer, so the charts mount in the render that shows the run
  // (not one render later, after an effect) and ask for their data at once.
  const detail = useAsync(`run:${runId}`, (signal) =>
    (takePrefetchedRunDetail(runId) ?? api.run(runId, signal)).then((answer) => {
      store.setKeys(metricKeysOf(answer));
      return answer;
    }),
  );
  const run = detail.data ?? (detail.loading ? early : null) ?? undefined;
  const [live, setLive] = useState<SocketState | null>(null);
  const running = run?.status === "running";
  const alerts = useRunAlerts(runId, running);
  const stages = useRunStages(runId, running);
  const addLiveAlerts = alerts.addLive;

  useEffect(() => {
    store.setParams({ x: state.x, zoom: state.zoom, maxPoints: chartDefaults.max_points });
  }, [store, state.x, state.zoom, chartDefaults.max_points]);

  useEffect(() => () => store.dispose(), [store]);

  useEffect(() => {
    if (!run) return;
    store.setKeys(metricKeysOf(run));
    store.seedLastStep(run.last_step);
  }, [store, run]);

  const reloadDetail = detail.reload;
  useEffect(() => {
    if (!running) return;
    const socket = openMetricsSocket(
      runId,
      null,
      () => store.lastStep,
      (message) => {
        store.applyLive(message);
        if (message.alerts) addLiveAlerts(message.alerts);
        if (message.status) reloadDetail();
      },
      setLive,
    );
    return () => socket.close();
  }, [running, runId, store, reloadDetail, addLiveAlerts]);

  usePolling(reloadDetail, DETAIL_REFRESH_MS, running);

  const { mutate } = detail;
  const onUpdated = useCallback(
    (item: RunItem) => {
      if (run) mutate({ ...run, ...item });
    },
    [run, mutate],
  );

  const setTab = (tab: RunTab) => update({ tab }, { push: true });
  const mediaCount = run?.media?.length ?? 0;
  const systemCount = useMemo(
    () => (run ? metricKeysOf(run).filter(isSystemKey).length : 0),
    [run],
  );

  if (!run) {
    if (detail.error instanceof ApiError && detail.error.status === 404) {
      return (
        <EmptyState
          testId="run-not-found"
          icon="?"
          title={t("run.notFound")}
          hint={<span className="mono">{runId}</span>}
          action={
            <Link className="btn" to="/">
              {t("notFound.back")}
            </Link>
          }
        />
      );
    }
    if (detail.error) return <ErrorState error={detail.error} onRetry={detail.reload} testId="run-error" />;
    return <LoadingState testId="run-loading" />;
  }

  const tabLabel: Record<RunTab, string> = {
    charts: t("tab.charts"),
    logs: t("tab.logs"),
    config: t("tab.config"),
    environment: t("tab.environment"),
    media: mediaCount ? `${t("tab.media")} (${mediaCount})` : t("tab.media"),
    system: systemCount ? `${t("tab.system")} (${systemCount})` : t("tab.system"),
    artifacts: t("tab.artifacts"),
  };

  return (
    <div className="run-page" data-testid="run-page">
      <RunHeader run={run} live={running ? live : null} onUpdated={onUpdated} />
      <AlertsPanel alerts={alerts.items} fresh={alerts.fresh} running={running} />
      <div className="tabs" role="tablist" data-testid="run-tabs">
        {RUN_TABS.map((tab) => (
          <button
            key={tab}
            type="button"
            role="tab"
            aria-selected={state.tab === tab}
            className={state.tab === tab ? "tab active" : "tab"}
            onClick={() => setTab(tab)}
            data-testid={`tab-${tab}`}
          >
            {tabLabel[tab]}
          </button>
        ))}
      </div>
      <ChartAlertsContext value={alerts.items}>
      <ChartStagesContext value={stages}>
      <div className="tab-panel" role="tabpanel" data-testid={`panel-${state.tab}`}>
        <Suspense fallback={<LoadingState />}>
        {state.tab === "charts" && <ChartsTab run={run} store={store} state={state} update={update} system={false} running={running} />}
        {state.tab === "system" && <ChartsTab run={run} store={store} state={state} update={update} system running={running} />}
        {state.tab === "logs" && <LogsTab run={run} running={running} />}
        {state.tab === "config" && <ConfigTab run={run} />}
        {state.tab === "environment" && <EnvironmentTab run={run} />}
        {state.tab === "media" && <MediaTab run={run} />}
        {state.tab === "artifacts" && <ArtifactsTab run={run} />}
        </Suspense>
      </div>
      </ChartStagesContext>
      </ChartAlertsContext>
    </div>
  );
}

export default function RunPage() {
  const { runId } = useParams();
  if (!runId) return null;
  return <RunView key={runId} runId={runId} />;
}
