import { useEffect, useState } from "react";
import type { AlertItem } from "../../api/types";
import { AlertRow } from "../../components/AlertRow";
import { usePreference } from "../../hooks/usePreference";
import { useI18n } from "../../i18n/context";

const MAX_SHOWN = 5;

/** Whether this browser can show desktop notifications at all. */
function notificationsSupported(): boolean {
  return typeof window !== "undefined" && "Notification" in window;
}

/**
 * The run page's alerts: the newest few (all on demand), and for a live run an opt-in desktop
 * notification when a new one arrives while the tab is open.
 */
export function AlertsPanel({ alerts, fresh, running }: { alerts: AlertItem[]; fresh: AlertItem[]; running: boolean }) {
  const { t } = useI18n();
  const [expanded, setExpanded] = useState(false);
  const [notify, setNotify] = usePreference<boolean>("alerts.notify", false);
  const [permission, setPermission] = useState(() => (notificationsSupported() ? Notification.permission : "denied"));

  useEffect(() => {
    if (!notify || permission !== "granted" || !fresh.length) return;
    for (const alert of fresh) {
      new Notification(`Runicorn · ${alert.title}`, { body: alert.text || alert.rule, tag: `runicorn-${alert.id}` });
    }
  }, [fresh, notify, permission]);

  const toggleNotify = () => {
    if (notify) {
      setNotify(false);
      return;
    }
    if (!notificationsSupported()) return;
    void Notification.requestPermission().then((answer) => {
      setPermission(answer);
      setNotify(answer === "granted");
    });
  };

  if (!alerts.length && !running) return null;
  const shown = expanded ? alerts : alerts.slice(0, MAX_SHOWN);
  return (
    <section className="alerts-panel" data-testid="alerts-panel" aria-label={t("alerts.title")}>
      <div className="alerts-panel-head">
        <h3>
          {t("alerts.title")} <span className="muted">({alerts.length})</span>
        </h3>
        <div className="spacer" />
        {running && notificationsSupported() && (
          <button
            type="button"
            className={`mini-btn${notify ? " active" : ""}`}
            aria-pressed={notify}
            onClick={toggleNotify}
            title={permission === "denied" ? t("alerts.notifyDenied") : t("alerts.notifyHint")}
            data-testid="alerts-notify"
          >
            {t("alerts.notify")}
          </button>
        )}
      </div>
      {alerts.length === 0 ? (
        <p className="muted alerts-empty">{t("alerts.none")}</p>
      ) : (
        <ul className="alert-list">
          {shown.map((alert) => (
            <AlertRow key={`${alert.id}-${alert.ts}`} alert={alert} />
          ))}
        </ul>
      )}
      {alerts.length > MAX_SHOWN && (
        <button type="button" className="link-btn" onClick={() => setExpanded(!expanded)}>
          {expanded ? t("common.collapse") : t("alerts.showAll", { n: alerts.length })}
        </button>
      )}
    </section>
  );
}
