import type { RemoteViewerSession } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";
import { Icon } from "../../components/Icon";
import { InlineError } from "../../components/States";
import { useNow } from "../../hooks/useNow";
import { useI18n } from "../../i18n/context";
import { formatDateTime, formatDuration } from "../../lib/format";
import { displayUrl, sessionOpenable, sessionTone, sessionUptime } from "./sessions";

/** One remote viewer: where it runs, its tunnel, health and uptime; open it or stop it. */
export function SessionCard({
  session,
  stopping,
  stopError,
  onStop,
}: {
  session: RemoteViewerSession;
  stopping: boolean;
  stopError: unknown;
  onStop: () => void;
}) {
  const { t } = useI18n();
  const now = useNow(1000);
  const tone = sessionTone(session);
  const openable = sessionOpenable(session);
  const ended = session.state === "stopped" || session.state === "failed";
  const health = session.health;
  const restarts = session.reconnects + session.viewer_restarts;
  return (
    <article
      className={`card remote-session tone-${tone}`}
      data-testid="remote-session-card"
      data-session-id={session.id}
      data-state={session.state}
      data-health={health?.status ?? ""}
      data-connection-id={session.connection_id ?? ""}
    >
      <div className="remote-session-head">
        <span className={`status remote-state remote-state-${tone}${tone === "busy" ? " status-running" : ""}`} data-testid="remote-session-state">
          <span className="status-dot" aria-hidden="true" />
          {t(`remote.session.state.${session.state}`)}
        </span>
        <span className="mono remote-ellipsis remote-session-target" title={session.target}>
          {session.target}
        </span>
        <span className="spacer" />
        {!ended && (
          <span className="muted small" title={formatDateTime(session.created_at)} data-testid="remote-session-uptime">
            {t("remote.session.uptime", { d: formatDuration(sessionUptime(session, now)) })}
          </span>
        )}
      </div>
      <dl className="remote-dl">
        <dt>{t("remote.session.root")}</dt>
        <dd className="mono remote-break" data-testid="remote-session-root">
          {session.root ?? <span className="muted">{t("remote.session.defaultRoot")}</span>}
        </dd>
        <dt>{t("remote.session.url")}</dt>
        <dd className="mono" data-testid="remote-session-url">
          {session.url ? (
            <span className="root-path">
              {displayUrl(session.url)}
              <CopyButton text={session.url} label={t("remote.session.copyUrl")} />
            </span>
          ) : (
            "—"
          )}
        </dd>
        <dt>{t("remote.session.health")}</dt>
        <dd data-testid="remote-session-health">
          {health?.status === "ok" ? (
            <span className="ok-text">
              {t("remote.session.healthy")}
              {health.version ? ` · v${health.version}` : ""}
            </span>
          ) : health?.status ? (
            <span className="remote-warn-text">{health.status}</span>
          ) : (
            <span className="muted">{t("remote.session.noHealth")}</span>
          )}
        </dd>
        <dt>{t("remote.session.python")}</dt>
        <dd className="mono remote-break">{session.python}</dd>
        {restarts > 0 && (
          <>
            <dt>{t("remote.session.reconnects")}</dt>
            <dd>{t("remote.session.reconnectsValue", { r: session.reconnects, v: session.viewer_restarts })}</dd>
          </>
        )}
      </dl>
      {session.last_error && (
        <div className={`remote-alert ${tone === "bad" ? "remote-alert-error" : "remote-alert-warn"} small`} data-testid="remote-session-error">
          {session.last_error}
        </div>
      )}
      <div className="row gap-s wrap remote-session-actions">
        {openable && session.url ? (
          <a className="btn btn-primary btn-small" href={session.url} target="_blank" rel="noopener noreferrer" data-testid="remote-session-open">
            <Icon name="expand" size={12} />
            {t("remote.session.open")}
          </a>
        ) : (
          <button type="button" className="btn btn-primary btn-small" disabled data-testid="remote-session-open">
            <Icon name="expand" size={12} />
            {t("remote.session.open")}
          </button>
        )}
        <button type="button" className="btn btn-danger btn-small" onClick={onStop} disabled={stopping} data-testid="remote-session-stop">
          {stopping ? t("remote.session.stopping") : ended ? t("remote.session.dismiss") : t("remote.session.stop")}
        </button>
        {stopError ? <InlineError error={stopError} /> : null}
      </div>
    </article>
  );
}
