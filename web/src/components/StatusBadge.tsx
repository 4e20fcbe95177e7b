import type { RunStatus } from "../api/types";
import { useI18n } from "../i18n/context";

/** Run status; running pulses, crashed is marked with its own colour and icon. */
export function StatusBadge({ status, compact = false }: { status: RunStatus; compact?: boolean }) {
  const { t } = useI18n();
  const label = t(`status.${status}`);
  return (
    <span
      className={`status status-${status}${compact ? " status-compact" : ""}`}
      data-testid="status-badge"
      data-status={status}
      title={label}
    >
      <span className="status-dot" aria-hidden="true" />
      {!compact && <span className="status-label">{label}</span>}
    </span>
  );
}
