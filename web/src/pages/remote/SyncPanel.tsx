import { useEffect, useState } from "react";
import { syncApi, type SyncJob } from "../../api/sync";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/States";
import { useI18n } from "../../i18n/context";
import { formatBytes } from "../../lib/format";
import { remoteErrorText } from "./errors";
import { bytesPercent, isActive, problemLines } from "./syncProgress";

const POLL_MS = 500;

/** "Sync": pull the remote storage root into this viewer's root, once or watching, with progress. */
export function SyncPanel({
  connectionId,
  connected,
  python,
  root,
}: {
  connectionId: string;
  connected: boolean;
  python: string;
  root: string;
}) {
  const { t } = useI18n();
  const [watch, setWatch] = useState(false);
  const [interval, setInterval_] = useState(10);
  const [job, setJob] = useState<SyncJob | null>(null);
  const [error, setError] = useState<unknown>(null);
  const active = isActive(job);
  const jobId = job?.id ?? null;

  useEffect(() => {
    if (!active || jobId === null) return;
    const controller = new AbortController();
    const timer = window.setInterval(() => {
      syncApi
        .get(jobId, controller.signal)
        .then(setJob)
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e);
        });
    }, POLL_MS);
    return () => {
      controller.abort();
      window.clearInterval(timer);
    };
  }, [active, jobId]);

  const start = async () => {
    setError(null);
    try {
      setJob(
        await syncApi.start({
          connection_id: connectionId,
          remote_root: root,
          python,
          watch: watch ? Math.max(1, interval) : null,
        }),
      );
    } catch (e) {
      setError(e);
    }
  };

  const stop = async () => {
    if (jobId === null) return;
    try {
      setJob(await syncApi.stop(jobId));
    } catch (e) {
      setError(e);
    }
  };

  const report = job?.last_pass ?? job?.total ?? null;
  const percent = job ? bytesPercent(job) : null;
  const problems = job ? problemLines(job) : [];
  const failure = error ? remoteErrorText(error) : null;

  return (
    <section className="card remote-card" data-testid="remote-sync" aria-labelledby="remote-sync-title" data-state={job?.state ?? "idle"}>
      <div className="remote-card-head">
        <h3 id="remote-sync-title">{t("remote.sync.title")}</h3>
      </div>
      <p className="muted small">{t("remote.sync.hint", { root: root || t("remote.sync.defaultRoot") })}</p>
      <div className="row gap-s">
        <label className="row gap-s small">
          <input type="checkbox" checked={watch} onChange={(e) => setWatch(e.target.checked)} disabled={active} data-testid="remote-sync-watch" />
          {t("remote.sync.watch")}
        </label>
        <input
          type="number"
          className="input mono"
          style={{ width: "5em" }}
          min={1}
          value={interval}
          onChange={(e) => setInterval_(Number(e.target.value) || 1)}
          disabled={!watch || active}
          aria-label={t("remote.sync.interval")}
          data-testid="remote-sync-interval"
        />
        <span className="muted small">{t("remote.sync.seconds")}</span>
        <span className="spacer" />
        {job?.state === "watching" ? (
          <button type="button" className="btn" onClick={() => void stop()} data-testid="remote-sync-stop">
            {t("remote.sync.stop")}
          </button>
        ) : (
          <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={!connected || active} data-testid="remote-sync-start">
            {active ? <Spinner /> : <Icon name="refresh" size={13} />}
            {t("remote.sync.button")}
          </button>
        )}
      </div>
      {job && (
        <div className="meter" data-testid="remote-sync-progress" data-bytes={job.progress.bytes_done} data-runs={job.progress.runs_done}>
          <div className="meter-head">
            <span>
              {t(`remote.sync.state.${job.state}`)} · {t("remote.sync.runs", { done: job.progress.runs_done, total: job.progress.runs_total })}
            </span>
            <span className="mono">
              {formatBytes(job.progress.bytes_done)} / {formatBytes(job.progress.bytes_total)}
            </span>
          </div>
          <div className="meter-track">
            <div className="meter-fill" style={{ width: `${percent ?? 0}%` }} />
          </div>
        </div>
      )}
      {report && !active && (
        <div className="small" data-testid="remote-sync-result">
          {t("remote.sync.result", {
            added: job?.total.runs_new.length ?? 0,
            updated: job?.total.runs_updated.length ?? 0,
            bytes: formatBytes(job?.total.bytes_moved ?? 0),
            passes: job?.total.passes ?? 0,
          })}
        </div>
      )}
      {problems.length > 0 && (
        <ul className="remote-env-problems" data-testid="remote-sync-problems">
          {problems.map((line) => (
            <li key={line} className="small mono">
              {line}
            </li>
          ))}
        </ul>
      )}
      {failure && (
        <div className="remote-alert remote-alert-error" role="alert" data-testid="remote-sync-error">
          <strong>{t(failure.title)}</strong>
          <div className="remote-alert-detail">{failure.detail}</div>
        </div>
      )}
    </section>
  );
}
