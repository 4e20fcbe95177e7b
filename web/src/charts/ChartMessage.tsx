import { useI18n } from "../i18n/context";

interface ChartMessageProps {
  state: "error" | "empty";
  error?: string | null;
  /** Whether a zoom range is set: "no points in this range" rather than "no points". */
  zoomed: boolean;
  onRetry: () => void;
}

/** What a chart shows instead of a plot: its load error with a retry, or why it is empty. */
export function ChartMessage({ state, error, zoomed, onRetry }: ChartMessageProps) {
  const { t } = useI18n();
  if (state === "error") {
    return (
      <div className="chart-state error">
        <span>{error}</span>
        <button type="button" className="btn btn-small" onClick={onRetry}>
          {t("common.retry")}
        </button>
      </div>
    );
  }
  return (
    <div className="chart-state" data-testid="chart-empty">
      {zoomed ? t("charts.noPointsInRange") : t("charts.noPoints")}
    </div>
  );
}
