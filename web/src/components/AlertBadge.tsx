import type { AlertItem } from "../api/types";
import "../styles/alerts.css";
import { useI18n } from "../i18n/context";

/** A run's alert count, coloured by its newest alert's level; nothing when it raised none. */
export function AlertBadge({ count, last }: { count: number; last: AlertItem | null }) {
  const { t } = useI18n();
  if (!count) return <span className="alert-badge-none" aria-hidden="true" />;
  const level = last?.level ?? "warn";
  const title = last ? `${t("alerts.count", { n: count })} · ${last.title}` : t("alerts.count", { n: count });
  return (
    <span className={`alert-badge alert-${level}`} data-testid="alert-badge" data-count={count} data-level={level} title={title}>
      <span aria-hidden="true">!</span>
      {count}
    </span>
  );
}
