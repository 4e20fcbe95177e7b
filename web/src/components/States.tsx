import type { ReactNode } from "react";
import { ApiError, errorMessage } from "../api/client";
import { useI18n } from "../i18n/context";

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner" role="status" aria-label={label}>
      <span className="spinner-ring" aria-hidden="true" />
    </span>
  );
}

export function LoadingState({ label, testId = "loading" }: { label?: string; testId?: string }) {
  const { t } = useI18n();
  return (
    <div className="state state-loading" data-testid={testId}>
      <Spinner />
      <span>{label ?? t("common.loading")}</span>
    </div>
  );
}

export function EmptyState({
  title,
  hint,
  action,
  testId = "empty-state",
  icon = "∅",
}: {
  title: string;
  hint?: ReactNode;
  action?: ReactNode;
  testId?: string;
  icon?: ReactNode;
}) {
  return (
    <div className="state state-empty" data-testid={testId}>
      <div className="state-icon" aria-hidden="true">
        {icon}
      </div>
      <div className="state-title">{title}</div>
      {hint && <div className="state-hint">{hint}</div>}
      {action && <div className="state-action">{action}</div>}
    </div>
  );
}

export function ErrorState({
  error,
  onRetry,
  title,
  testId = "error-state",
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
  testId?: string;
}) {
  const { t } = useI18n();
  const status = error instanceof ApiError ? error.status : null;
  const heading = status === 0 ? t("error.offline") : status === 401 ? t("error.unauthorized") : t("error.title");
  return (
    <div className="state state-error" data-testid={testId} data-status={status ?? undefined} role="alert">
      <div className="state-icon" aria-hidden="true">
        !
      </div>
      <div className="state-title">{title ?? heading}</div>
      <div className="state-hint">{status === 401 ? t("error.unauthorizedHint") : errorMessage(error)}</div>
      {onRetry && (
        <div className="state-action">
          <button type="button" className="btn" onClick={onRetry} data-testid="retry">
            {t("common.retry")}
          </button>
        </div>
      )}
    </div>
  );
}

export function InlineError({ error }: { error: unknown }) {
  return (
    <span className="inline-error" role="alert">
      {errorMessage(error)}
    </span>
  );
}
