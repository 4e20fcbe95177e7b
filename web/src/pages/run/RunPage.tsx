import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError } from "../../api/client";
import { openMetricsSocket, type SocketState } from "../../api/socket";
import type { RunItem } from "../../api/types";
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
import { ArtifactsTab } from "./ArtifactsTab";
import { ChartsTab } from "./ChartsTab";
import { ConfigTab } from "./ConfigTab";
import { EnvironmentTab } from "./EnvironmentTab";
import { LogsTab } from "./LogsTab";
import { MediaTab } from "./MediaTab";
import { RunHeader } from "./RunHeader";
import { useRunAlerts } from "./useRunAlerts";
import { useRunStages } from "./useRunStages";

const DETAIL_REFRESH_MS = 10_000;

function RunView({ runId }: { runId: string }) {
  const { t } = useI18n();
  const { chartDefaults } = useSettings();
  const [state, update] = useUrlState(decodeRun, encodeRun);
  const detail = useAsync(`run:${runId}`, (signal) => api.run(runId, signal));
  const run = detail.data;
  const [live, setLive] = useState<SocketState | null>(null);
  const [store] = useState(
    () => new MetricsStore([runId], { x: state.x, zoom: state.zoom, maxPoints: chartDefaults.max_points }),
  );
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
    store.setKeys(run.metric_keys ?? Object.keys(run.metrics));
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
    () => (run ? (run.metric_keys ?? Object.keys(run.metrics)).filter(isSystemKey).length : 0),
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
        {state.tab === "charts" && <ChartsTab run={run} store={store} state={state} update={update} system={false} running={running} />}
        {state.tab === "system" && <ChartsTab run={run} store={store} state={state} update={update} system running={running} />}
        {state.tab === "logs" && <LogsTab run={run} running={running} />}
        {state.tab === "config" && <ConfigTab run={run} />}
        {state.tab === "environment" && <EnvironmentTab run={run} />}
        {state.tab === "media" && <MediaTab run={run} />}
        {state.tab === "artifacts" && <ArtifactsTab run={run} />}
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
