import { useState, type ReactNode } from "react";
import { useI18n } from "../i18n/context";

/** A destructive action that asks once more in place instead of a modal. */
export function ConfirmButton({
  children,
  confirmLabel,
  onConfirm,
  testId,
  disabled,
  className = "btn btn-danger",
}: {
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  testId?: string;
  disabled?: boolean;
  className?: string;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className={className} onClick={() => setAsking(true)} data-testid={testId} disabled={disabled}>
        {children}
      </button>
    );
  }
  return (
    <span className="confirm">
      <button
        type="button"
        className="btn btn-danger btn-solid"
        data-testid={testId ? `${testId}-confirm` : undefined}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="btn" onClick={() => setAsking(false)}>
        {t("common.cancel")}
      </button>
    </span>
  );
}
