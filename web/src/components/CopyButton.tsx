import { useState } from "react";
import { useI18n } from "../i18n/context";
import { Icon } from "./Icon";

export function CopyButton({ text, label }: { text: string; label?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="btn-icon copy"
      title={copied ? t("common.copied") : (label ?? t("common.copy"))}
      aria-label={label ?? t("common.copy")}
      onClick={(e) => {
        e.stopPropagation();
        void navigator.clipboard.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1200);
        });
      }}
    >
      <Icon name={copied ? "check" : "copy"} size={12} />
    </button>
  );
}
