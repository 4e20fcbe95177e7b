import { useState, type SubmitEvent } from "react";
import { artifactsApi, type VersionDetail } from "../../api/artifacts";
import { InlineError } from "../../components/States";
import { useI18n } from "../../i18n/context";
import { aliasProblem, editableAliases, withAlias, withoutAlias } from "./aliases";

/**
 * A version's aliases: remove one, or add one (which moves it here from any other version).
 * Every change is saved at once; `latest` is the server's and is shown, not edited.
 */
export function AliasEditor({ version, onSaved }: { version: VersionDetail; onSaved: (detail: VersionDetail) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const aliases = editableAliases(version.aliases);
  const problem = draft.trim() ? aliasProblem(draft.trim()) : null;

  const save = (next: string[]) => {
    setBusy(true);
    setError(null);
    artifactsApi.setAliases(version.project, version.name, version.version, next).then(
      (detail) => {
        setBusy(false);
        setDraft("");
        onSaved(detail);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const alias = draft.trim();
    if (!alias || aliasProblem(alias)) return;
    save(withAlias(aliases, alias));
  };

  return (
    <div className="alias-editor" data-testid="alias-editor">
      <span className="tags">
        {version.aliases.includes("latest") && (
          <span className="tag latest-tag" title={t("aliases.latestHint")} data-testid="alias-chip" data-alias="latest">
            latest
          </span>
        )}
        {aliases.map((alias) => (
          <span key={alias} className="tag alias-tag" data-testid="alias-chip" data-alias={alias}>
            {alias}
            <button
              type="button"
              className="tag-remove"
              aria-label={t("tags.remove", { tag: alias })}
              disabled={busy}
              onClick={() => save(withoutAlias(aliases, alias))}
              data-testid="alias-remove"
            >
              ×
            </button>
          </span>
        ))}
      </span>
      <form onSubmit={submit} className="alias-form">
        <input
          className={problem ? "input invalid" : "input"}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder={t("aliases.add")}
          aria-label={t("aliases.add")}
          aria-invalid={problem ? true : undefined}
          disabled={busy}
          maxLength={64}
          data-testid="alias-input"
        />
        <button type="submit" className="btn btn-small" disabled={busy || !draft.trim() || Boolean(problem)} data-testid="alias-add">
          {busy ? t("common.saving") : t("aliases.addButton")}
        </button>
      </form>
      {problem && problem !== "empty" && (
        <span className="inline-error" role="alert" data-testid="alias-problem">
          {t(`aliases.problem.${problem}`)}
        </span>
      )}
      {error !== null && (
        <span data-testid="alias-error">
          <InlineError error={error} />
        </span>
      )}
      <span className="muted small">{t("aliases.moveHint")}</span>
    </div>
  );
}
