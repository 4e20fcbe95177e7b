import { Link } from "react-router";
import type { AlertItem } from "../api/types";
import { useI18n } from "../i18n/context";
import { formatDateTime } from "../lib/format";
import { runHref } from "../lib/urlState";
import "../styles/alerts.css";

/** One alert as a list row: level, title, (run), step, explanation, when. */
export function AlertRow({ alert, showRun = false }: { alert: AlertItem; showRun?: boolean }) {
  const { t } = useI18n();
  return (
    <li className={`alert-row alert-${alert.level}`} data-testid="alert-row" data-level={alert.level} data-rule={alert.rule}>
      <span className={`alert-level alert-${alert.level}`}>{t(`alerts.level.${alert.level}`)}</span>
      <span className="alert-title">{alert.title}</span>
      {showRun && (
        <span className="alert-run mono">
          <Link to={runHref(alert.run_id)}>
            {alert.project}/{alert.name}
          </Link>
        </span>
      )}
      {alert.step !== null && <span className="alert-step mono">{t("alerts.atStep", { n: alert.step })}</span>}
      {alert.text && <span className="alert-text">{alert.text}</span>}
      <span className="alert-when mono">{formatDateTime(alert.ts, false)}</span>
    </li>
  );
}
