import { useMemo, useState, type SubmitEvent } from "react";
import { remoteApi } from "../../api/remote";
import type { RemoteConnection, RemoteEnvironment, RemoteViewerSession } from "../../api/types";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { useDebounced } from "../../hooks/useDebounced";
import { useNow } from "../../hooks/useNow";
import { useI18n } from "../../i18n/context";
import { useSettings } from "../../settings/context";
import { remoteErrorText } from "./errors";
import { FsBrowser } from "./FsBrowser";
import { normalizeRemotePath } from "./paths";
import { RemoteStatusCard } from "./RemoteStatusCard";
import { SyncPanel } from "./SyncPanel";
import { compatibleSpec, defaultEnvironment, environmentProblem, sortEnvironments } from "./sessions";

function envLabel(env: RemoteEnvironment, t: ReturnType<typeof useI18n>["t"]): string {
  const parts = [env.name || env.python];
  if (env.python_version) parts.push(`Python ${env.python_version}`);
  const problem = environmentProblem(env);
  if (problem === "ok") parts.push(`runicorn ${env.runicorn_version ?? ""}`);
  else if (problem === "version") parts.push(t("remote.env.incompatible", { v: env.runicorn_version ?? "" }));
  else if (problem === "missing") parts.push(t("remote.env.noRunicorn"));
  else parts.push(t("remote.env.broken"));
  return parts.join(" · ");
}

function Elapsed({ since }: { since: number }) {
  const now = useNow(1000);
  return <span className="mono">{Math.max(0, Math.round(now - since))}s</span>;
}

type RootState = "default" | "checking" | "dir" | "file" | "missing" | "error";

/** Everything to start a viewer on one connection: status, environment, storage root. */
export function ConnectionWorkspace({
  connection,
  onStarted,
}: {
  connection: RemoteConnection;
  onStarted: (session: RemoteViewerSession) => void;
}) {
  const { t } = useI18n();
  const { health } = useSettings();
  const id = connection.id;

  // Environments: conda envs and PATH, plus interpreters the user asked to probe.
  const [extra, setExtra] = useState<string[]>([]);
  const [custom, setCustom] = useState("");
  const envs = useAsync(`${id}\n${extra.join("\n")}`, (signal) => remoteApi.environments(id, extra, signal));
  const sorted = useMemo(() => sortEnvironments(envs.data?.items ?? []), [envs.data]);
  const [picked, setPicked] = useState<string | null>(null);
  const python = picked !== null && sorted.some((e) => e.python === picked && e.compatible) ? picked : defaultEnvironment(sorted);
  const selectedEnv = sorted.find((e) => e.python === python) ?? null;
  const compatibleCount = sorted.filter((e) => e.compatible).length;
  const envsSettled = envs.data !== undefined || envs.error !== undefined;

  // Storage root: typed or picked in the browser; checked on the remote host as you type.
  const [root, setRoot] = useState("");
  const [browsing, setBrowsing] = useState(false);
  const typed = normalizeRemotePath(root);
  const debounced = useDebounced(typed, 400);
  const check = useAsync(debounced ? `${id}\n${debounced}` : null, (signal) => remoteApi.exists(id, debounced, signal));
  let rootState: RootState = "default";
  if (typed) {
    if (typed !== debounced || check.loading) rootState = "checking";
    else if (check.error) rootState = "error";
    else if (check.data?.exists) rootState = check.data.type === "dir" ? "dir" : "file";
    else rootState = "missing";
  }
  const checkedRoot = rootState === "dir" && check.data ? check.data.path : null;

  // Starting.
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [startError, setStartError] = useState<unknown>(null);
  const starting = startedAt !== null;
  const blocked = !connection.connected
    ? t("remote.start.notConnected")
    : !envsSettled
      ? t("remote.start.waitEnv")
      : python === null
        ? t("remote.start.needEnv")
        : rootState === "file"
          ? t("remote.start.rootIsFile")
          : null;

  const start = async () => {
    if (blocked || starting || python === null) return;
    setStartedAt(Date.now() / 1000);
    setStartError(null);
    try {
      const session = await remoteApi.startViewer({ connection_id: id, python, root: typed || null });
      onStarted(session);
    } catch (error) {
      setStartError(error);
    } finally {
      setStartedAt(null);
    }
  };

  const probe = (e: SubmitEvent) => {
    e.preventDefault();
    const path = custom.trim();
    if (!path) return;
    if (!extra.includes(path)) setExtra([...extra, path]);
    setPicked(path);
    setCustom("");
  };

  const startInfo = startError ? remoteErrorText(startError) : null;
  const envInfo = envs.error ? remoteErrorText(envs.error) : null;

  return (
    <div className="remote-workspace" data-testid="remote-workspace" data-connection-id={id}>
      <section className="card remote-card remote-setup" data-testid="remote-viewer-setup" aria-labelledby="remote-setup-title">
        <div className="remote-card-head">
          <h3 id="remote-setup-title">{t("remote.start.title")}</h3>
          <span className="mono muted small remote-ellipsis">{connection.target}</span>
        </div>

        <div className="remote-field" data-testid="remote-env" data-state={envs.loading ? "loading" : envs.error ? "error" : "ready"}>
          <label className="remote-label" htmlFor="remote-env-select">
            {t("remote.env.label")}
          </label>
          {envs.loading ? (
            <div className="row gap-s muted small" data-testid="remote-env-loading">
              <Spinner /> {t("remote.env.loading")}
            </div>
          ) : envInfo ? (
            <div className="remote-alert remote-alert-error" data-testid="remote-env-error">
              <strong>{t("remote.env.failed")}</strong>
              <div className="remote-alert-detail">{envInfo.detail}</div>
              <div>
                <button type="button" className="btn btn-small" onClick={envs.reload}>
                  {t("common.retry")}
                </button>
              </div>
            </div>
          ) : (
            <>
              <div className="row gap-s">
                <select
                  id="remote-env-select"
                  className="input remote-grow"
                  value={python ?? ""}
                  onChange={(e) => setPicked(e.target.value)}
                  disabled={sorted.length === 0}
                  data-testid="remote-env-select"
                  data-count={sorted.length}
                  data-compatible={compatibleCount}
                >
                  {python === null && (
                    <option value="" disabled>
                      {sorted.length === 0 ? t("remote.env.noneFound") : t("remote.env.noneCompatible")}
                    </option>
                  )}
                  {sorted.map((env) => (
                    <option key={env.python} value={env.python} disabled={!env.compatible} title={env.error ?? env.python}>
                      {envLabel(env, t)}
                    </option>
                  ))}
                </select>
                {envs.reloading ? (
                  <Spinner />
                ) : (
                  <button type="button" className="btn-icon" onClick={envs.reload} title={t("remote.env.rescan")} aria-label={t("remote.env.rescan")} data-testid="remote-env-refresh">
                    <Icon name="refresh" size={13} />
                  </button>
                )}
              </div>
              {selectedEnv && (
                <div className="muted small mono remote-ellipsis" title={selectedEnv.python} data-testid="remote-env-python">
                  {selectedEnv.python} · {selectedEnv.source}
                </div>
              )}
              {python === null && (
                <div className="remote-alert remote-alert-warn" data-testid="remote-env-none">
                  <div>{sorted.length === 0 ? t("remote.env.noneFoundHint") : t("remote.env.noneCompatibleHint")}</div>
                  <code className="remote-code">pip install &quot;{compatibleSpec(health?.version)}&quot;</code>
                  {sorted.length > 0 && (
                    <ul className="remote-env-problems">
                      {sorted.map((env) => (
                        <li key={env.python} className="small">
                          <span className="mono">{env.name || env.python}</span>: <span className="muted">{env.error ?? envLabel(env, t)}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              )}
            </>
          )}
          <form className="row gap-s remote-probe" onSubmit={probe}>
            <input
              className="input mono remote-grow"
              value={custom}
              onChange={(e) => setCustom(e.target.value)}
              placeholder={t("remote.env.customPlaceholder")}
              aria-label={t("remote.env.customPlaceholder")}
              spellCheck={false}
              data-testid="remote-env-custom"
            />
            <button type="submit" className="btn btn-small" disabled={!custom.trim() || envs.loading} data-testid="remote-env-probe">
              {t("remote.env.probe")}
            </button>
          </form>
        </div>

        <div className="remote-field">
          <label className="remote-label" htmlFor="remote-root-input">
            {t("remote.root.label")}
          </label>
          <div className="row gap-s">
            <input
              id="remote-root-input"
              className={`input mono remote-grow${rootState === "file" ? " invalid" : ""}`}
              value={root}
              onChange={(e) => setRoot(e.target.value)}
              placeholder={t("remote.root.placeholder")}
              spellCheck={false}
              autoComplete="off"
              data-testid="remote-root-input"
            />
            <button type="button" className="btn" onClick={() => setBrowsing((b) => !b)} aria-expanded={browsing} data-testid="remote-fs-browse">
              <Icon name="folder" size={13} />
              {t("remote.root.browse")}
            </button>
          </div>
          <div className={`small remote-root-status is-${rootState}`} data-testid="remote-root-status" data-state={rootState} aria-live="polite">
            {rootState === "default" && <span className="muted">{t("remote.root.default")}</span>}
            {rootState === "checking" && (
              <span className="row gap-s muted">
                <Spinner /> {t("remote.root.checking")}
              </span>
            )}
            {rootState === "dir" && <span className="ok-text">✓ {t("remote.root.isDir", { path: checkedRoot ?? typed })}</span>}
            {rootState === "file" && <span className="inline-error">{t("remote.root.isFile")}</span>}
            {rootState === "missing" && <span className="remote-warn-text">{t("remote.root.missing", { path: check.data?.path ?? typed })}</span>}
            {rootState === "error" && <span className="inline-error">{remoteErrorText(check.error).detail}</span>}
          </div>
          {browsing && (
            <FsBrowser
              connectionId={id}
              start={checkedRoot ?? "~"}
              onPick={(path) => {
                setRoot(path);
                setBrowsing(false);
              }}
              onClose={() => setBrowsing(false)}
            />
          )}
        </div>

        <div className="remote-start-row">
          <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={blocked !== null || starting} data-testid="remote-start-viewer">
            {starting ? <Spinner /> : <Icon name="chart" size={13} />}
            {starting ? t("remote.start.starting") : t("remote.start.button")}
          </button>
          {startedAt !== null && (
            <span className="muted small" data-testid="remote-start-progress">
              {t("remote.start.progress")} <Elapsed since={startedAt} />
            </span>
          )}
          {!starting && blocked && <span className="muted small">{blocked}</span>}
        </div>
        {startInfo && (
          <div className="remote-alert remote-alert-error" role="alert" data-testid="remote-start-error" data-reason={startInfo.reason ?? ""}>
            <div className="remote-alert-head">
              <strong>{t(startInfo.title)}</strong>
              <span className="spacer" />
              <button type="button" className="btn-icon" onClick={() => setStartError(null)} aria-label={t("common.close")} title={t("common.close")}>
                ×
              </button>
            </div>
            <pre className="remote-pre">{startInfo.detail}</pre>
          </div>
        )}
      </section>

      <RemoteStatusCard connectionId={id} python={envsSettled ? (python ?? "python3") : null} root={checkedRoot} />
      <SyncPanel connectionId={id} connected={connection.connected} python={python ?? "python3"} root={typed} />
    </div>
  );
}
