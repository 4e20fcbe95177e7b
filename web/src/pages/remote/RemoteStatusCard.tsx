import { remoteApi } from "../../api/remote";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { usePolling } from "../../hooks/usePolling";
import { Meter } from "../../components/Meter";
import { useI18n } from "../../i18n/context";
import { formatBytes } from "../../lib/format";
import { remoteErrorText } from "./errors";

const POLL_MS = 15_000;

const pct = (used: number | null | undefined, total: number | null | undefined) =>
  used !== null && used !== undefined && total ? (100 * used) / total : null;

/**
 * The remote host's load, memory, disk (of the chosen root) and GPUs, read with `python`
 * (null: wait, the environments are still being probed).
 */
export function RemoteStatusCard({ connectionId, python, root }: { connectionId: string; python: string | null; root: string | null }) {
  const { t } = useI18n();
  const key = python === null ? null : `${connectionId}\n${python}\n${root ?? ""}`;
  const status = useAsync(key, (signal) => remoteApi.status(connectionId, { python: python ?? undefined, root }, signal));
  usePolling(status.reload, POLL_MS, key !== null && !status.error);
  const data = status.data;
  const state = data ? "ready" : status.error ? "error" : "loading";
  const info = status.error ? remoteErrorText(status.error) : null;

  return (
    <section className="card remote-card" data-testid="remote-status" data-state={state} aria-labelledby="remote-status-title">
      <div className="remote-card-head">
        <h3 id="remote-status-title">{t("remote.status.title")}</h3>
        {data && <span className="muted small mono remote-ellipsis">{data.hostname}</span>}
        <span className="spacer" />
        {status.reloading && <Spinner />}
        <button
          type="button"
          className="btn-icon"
          onClick={status.reload}
          disabled={key === null}
          title={t("common.refresh")}
          aria-label={t("common.refresh")}
          data-testid="remote-status-refresh"
        >
          <Icon name="refresh" size={13} />
        </button>
      </div>
      {!data && !status.error && (
        <div className="row gap-s muted small" data-testid="remote-status-loading">
          <Spinner /> {t("remote.status.loading")}
        </div>
      )}
      {info && (
        <div className="remote-alert remote-alert-error" data-testid="remote-status-error">
          <strong>{t("remote.status.failed")}</strong>
          <div className="remote-alert-detail">{info.detail}</div>
        </div>
      )}
      {data && (
        <div className="remote-status-body">
          <div className="muted small">
            {[data.platform, data.python && `Python ${data.python}`, data.cpu_count && t("remote.status.cpus", { n: data.cpu_count })].filter(Boolean).join(" · ")}
          </div>
          {data.load && (
            <Meter
              label={t("remote.status.load")}
              value={data.cpu_count ? (100 * data.load[0]) / data.cpu_count : null}
              detail={t("remote.status.loadDetail", { l: data.load.map((l) => l.toFixed(2)).join(" / ") })}
              testId="remote-status-load"
            />
          )}
          <Meter
            label={t("system.memory")}
            value={data.memory.percent ?? pct(data.memory.used, data.memory.total)}
            detail={`${formatBytes(data.memory.used)} / ${formatBytes(data.memory.total)}`}
            testId="remote-status-memory"
          />
          {data.disk.error ? (
            <div className="muted small" data-testid="remote-status-disk">
              {t("remote.status.disk")}: {data.disk.error}
            </div>
          ) : (
            <Meter
              label={t("remote.status.disk")}
              value={data.disk.percent ?? pct(data.disk.used, data.disk.total)}
              detail={t("remote.status.diskDetail", { free: formatBytes(data.disk.free), path: data.disk.measured_at ?? data.disk.path })}
              testId="remote-status-disk"
            />
          )}
          {data.gpu.available && data.gpu.gpus.length > 0 ? (
            data.gpu.gpus.map((gpu) => (
              <div key={gpu.index} className="remote-gpu" data-testid="remote-status-gpu" data-gpu-index={gpu.index}>
                <div className="small">
                  GPU {gpu.index} <span className="muted">{gpu.name}</span>
                  {gpu.temperature !== null && gpu.temperature !== undefined && <span className="muted mono"> · {Math.round(gpu.temperature)}°C</span>}
                </div>
                <div className="remote-gpu-meters">
                  <Meter label={t("system.utilization")} value={gpu.utilization} testId="remote-gpu-utilization" />
                  <Meter
                    label={t("system.memory")}
                    value={pct(gpu.memory_used, gpu.memory_total)}
                    detail={`${formatBytes(gpu.memory_used)} / ${formatBytes(gpu.memory_total)}`}
                    testId="remote-gpu-memory"
                  />
                </div>
              </div>
            ))
          ) : (
            <div className="muted small" data-testid="remote-status-no-gpu">
              <Icon name="chip" size={12} /> {t("system.noGpu")}
              {data.gpu.reason ? ` — ${data.gpu.reason}` : ""}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
