import type { SavedConnection } from "../../api/types";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Icon } from "../../components/Icon";
import { InlineError, Spinner } from "../../components/States";
import { useI18n } from "../../i18n/context";
import { formatTarget, savedAuthMode } from "./form";

/** Saved connections: where and how to connect. Secrets show only as "remembered" flags. */
export function SavedConnections({
  items,
  loading,
  error,
  busy,
  deleting,
  onRetry,
  onConnect,
  onEdit,
  onDelete,
}: {
  items: SavedConnection[] | undefined;
  loading: boolean;
  error: unknown;
  busy: boolean;
  deleting: string | null;
  onRetry: () => void;
  onConnect: (saved: SavedConnection) => void;
  onEdit: (saved: SavedConnection) => void;
  onDelete: (saved: SavedConnection) => void;
}) {
  const { t } = useI18n();
  return (
    <section className="card remote-card" data-testid="saved-connections" aria-labelledby="saved-title">
      <div className="remote-card-head">
        <h3 id="saved-title">{t("remote.saved.title")}</h3>
        {items && items.length > 0 && <span className="count">{items.length}</span>}
      </div>
      {loading ? (
        <div className="row gap-s muted small" data-testid="saved-loading">
          <Spinner /> {t("common.loading")}
        </div>
      ) : error && !items ? (
        <div className="row gap-s wrap" data-testid="saved-error">
          <InlineError error={error} />
          <button type="button" className="btn btn-small" onClick={onRetry}>
            {t("common.retry")}
          </button>
        </div>
      ) : !items || items.length === 0 ? (
        <p className="muted small remote-empty-note" data-testid="saved-empty">
          {t("remote.saved.empty")}
        </p>
      ) : (
        <ul className="remote-list">
          {items.map((saved) => {
            const target = formatTarget(saved);
            const mode = savedAuthMode(saved);
            return (
              <li key={saved.id} className="remote-saved" data-testid="saved-connection" data-saved-id={saved.id}>
                <div className="remote-saved-main">
                  <div className="remote-saved-name" title={saved.name || target}>
                    {saved.name || target}
                  </div>
                  <div className="muted small mono remote-ellipsis" title={target}>
                    {target}
                    {saved.jump_host && ` · ${t("remote.form.via", { host: saved.jump_host })}`}
                  </div>
                  <div className="row gap-xs wrap">
                    <span className="chip chip-small">{t(`remote.auth.${mode}`)}</span>
                    {saved.has_password && <span className="chip chip-small">{t("remote.saved.passwordRemembered")}</span>}
                    {saved.has_passphrase && <span className="chip chip-small">{t("remote.saved.passphraseRemembered")}</span>}
                  </div>
                </div>
                <div className="remote-saved-actions">
                  <button type="button" className="btn btn-small" onClick={() => onConnect(saved)} disabled={busy} data-testid="saved-connection-connect">
                    {t("remote.saved.connect")}
                  </button>
                  <button
                    type="button"
                    className="btn-icon"
                    onClick={() => onEdit(saved)}
                    title={t("remote.saved.edit")}
                    aria-label={t("remote.saved.edit")}
                    data-testid="saved-connection-edit"
                  >
                    <Icon name="gear" size={13} />
                  </button>
                  <ConfirmButton
                    className="btn-icon"
                    confirmLabel={t("remote.saved.deleteConfirm")}
                    onConfirm={() => onDelete(saved)}
                    testId="saved-connection-delete"
                    disabled={deleting === saved.id}
                  >
                    <span title={t("remote.saved.delete")} className="row">
                      <Icon name="trash" size={13} />
                      <span className="remote-sr-only">{t("remote.saved.delete")}</span>
                    </span>
                  </ConfirmButton>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {error && items ? <InlineError error={error} /> : null}
    </section>
  );
}
