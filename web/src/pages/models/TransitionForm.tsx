import { useState, type SubmitEvent } from "react";
import { artifactsApi, STAGES, type Stage, type TransitionResult } from "../../api/artifacts";
import { InlineError } from "../../components/States";
import { useI18n } from "../../i18n/context";

/** Move one version to a stage, with the reason kept in the history. */
export function TransitionForm({
  project,
  name,
  version,
  current,
  initial,
  productionVersion,
  onDone,
  onCancel,
}: {
  project: string;
  name: string;
  version: number;
  current: Stage;
  initial: Stage;
  productionVersion: number | null;
  onDone: (result: TransitionResult) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [stage, setStage] = useState<Stage>(initial);
  const [reason, setReason] = useState("");
  const [archivePrevious, setArchivePrevious] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const replaces = stage === "production" && productionVersion !== null && productionVersion !== version;

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    artifactsApi.transition(project, name, version, { stage, reason: reason.trim(), archive_previous: archivePrevious }).then(
      (result) => {
        setBusy(false);
        onDone(result);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };

  return (
    <form className="transition-form" onSubmit={submit} data-testid="transition-form" data-version={version}>
      <label className="field">
        <span className="muted small">{t("models.moveTo", { v: version })}</span>
        <select
          className="input"
          value={stage}
          onChange={(e) => setStage(e.target.value as Stage)}
          disabled={busy}
          data-testid="transition-stage"
        >
          {STAGES.map((s) => (
            <option key={s} value={s} disabled={s === current}>
              {t(`stage.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="field transition-reason">
        <span className="muted small">{t("models.reason")}</span>
        <input
          className="input"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          placeholder={t("models.reasonPlaceholder")}
          maxLength={2000}
          disabled={busy}
          autoFocus
          data-testid="transition-reason"
        />
      </label>
      {replaces && (
        <label className="field checkbox small">
          <input
            type="checkbox"
            checked={archivePrevious}
            onChange={(e) => setArchivePrevious(e.target.checked)}
            disabled={busy}
            data-testid="transition-archive-previous"
          />
          {t("models.archivePrevious", { v: productionVersion })}
        </label>
      )}
      <button type="submit" className="btn btn-primary" disabled={busy || stage === current} data-testid="transition-submit">
        {busy ? t("common.saving") : t("models.apply")}
      </button>
      <button type="button" className="btn" onClick={onCancel} disabled={busy}>
        {t("common.cancel")}
      </button>
      {error !== null && <InlineError error={error} />}
    </form>
  );
}
