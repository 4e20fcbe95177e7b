import type { RemoteConnection } from "../../api/types";
import { EmptyState } from "../../components/States";
import { Icon } from "../../components/Icon";
import { useI18n } from "../../i18n/context";

/** The open SSH connections: pick the one to work with, or disconnect it. */
export function ConnectionList({
  connections,
  activeId,
  disconnecting,
  onSelect,
  onDisconnect,
}: {
  connections: RemoteConnection[];
  activeId: string | null;
  disconnecting: string | null;
  onSelect: (id: string) => void;
  onDisconnect: (connection: RemoteConnection) => void;
}) {
  const { t } = useI18n();
  return (
    <section className="card remote-card" data-testid="remote-connections" data-count={connections.length} aria-labelledby="remote-connections-title">
      <div className="remote-card-head">
        <h3 id="remote-connections-title">{t("remote.connections.title")}</h3>
        {connections.length > 0 && <span className="count">{connections.length}</span>}
      </div>
      {connections.length === 0 ? (
        <EmptyState
          testId="remote-no-connections"
          icon={<Icon name="terminal" size={18} />}
          title={t("remote.connections.none")}
          hint={
            <ol className="remote-steps">
              <li>{t("remote.connections.step1")}</li>
              <li>{t("remote.connections.step2")}</li>
              <li>{t("remote.connections.step3")}</li>
            </ol>
          }
        />
      ) : (
        <ul className="remote-list">
          {connections.map((c) => {
            const active = c.id === activeId;
            const viewers = c.viewer_sessions?.length ?? 0;
            return (
              <li
                key={c.id}
                className={`remote-conn${active ? " active" : ""}`}
                data-testid="remote-connection"
                data-connection-id={c.id}
                data-connected={c.connected ? "true" : "false"}
                data-active={active ? "true" : "false"}
              >
                <button type="button" className="remote-conn-select" onClick={() => onSelect(c.id)} aria-pressed={active} data-testid="remote-connection-select">
                  <span className={`remote-dot${c.connected ? " on" : ""}`} title={c.connected ? t("remote.connections.connected") : t("remote.connections.lost")} />
                  <span className="mono remote-ellipsis">{c.target}</span>
                  {c.jump_host && <span className="muted small">{t("remote.form.via", { host: c.jump_host })}</span>}
                  {!c.connected && <span className="chip chip-small chip-warn">{t("remote.connections.lost")}</span>}
                  <span className="spacer" />
                  <span className="muted small">{t("remote.connections.viewers", { n: viewers })}</span>
                </button>
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => onDisconnect(c)}
                  disabled={disconnecting === c.id}
                  title={viewers > 0 ? t("remote.connections.disconnectHint", { n: viewers }) : undefined}
                  data-testid="remote-disconnect"
                >
                  {disconnecting === c.id ? t("remote.connections.disconnecting") : t("remote.connections.disconnect")}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
