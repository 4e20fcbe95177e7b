import { useEffect, useRef, useState, type SubmitEvent } from "react";
import { Spinner } from "../../components/States";
import { useI18n } from "../../i18n/context";
import {
  AUTH_MODES,
  EMPTY_FORM,
  editForm,
  formTargetLabel,
  splitHostField,
  validateForm,
  type ConnectFormState,
  type FormProblem,
} from "./form";
import type { ConnectFailure } from "./useConnect";

/** The connection form. Its password and passphrase are the only copy of a secret in the UI. */
export function ConnectForm({
  form,
  setForm,
  busy,
  failure,
  onDismissFailure,
  onConnect,
  focusPassword,
}: {
  form: ConnectFormState;
  setForm: (update: (form: ConnectFormState) => ConnectFormState) => void;
  busy: boolean;
  failure: ConnectFailure | null;
  onDismissFailure: () => void;
  onConnect: (form: ConnectFormState) => void;
  /** Changes when a saved connection needs its password typed: focuses that field. */
  focusPassword: number;
}) {
  const { t } = useI18n();
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const hostRef = useRef<HTMLInputElement>(null);
  const portRef = useRef<HTMLInputElement>(null);
  const keyRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (focusPassword > 0) passwordRef.current?.focus();
  }, [focusPassword]);

  const edit = (patch: Partial<ConnectFormState>) => {
    setProblem(null);
    setForm((f) => editForm(f, patch));
  };

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    const found = validateForm(form);
    setProblem(found);
    if (found) {
      const refs = { host: hostRef, port: portRef, keyFile: keyRef, password: passwordRef };
      refs[found.field].current?.focus();
      return;
    }
    const split = splitHostField(form);
    setForm(() => split);
    onConnect(split);
  };

  const invalid = (field: FormProblem["field"]) => (problem?.field === field ? " invalid" : "");
  const hasSecret = (form.auth === "password" && form.password !== "") || (form.auth === "key" && form.passphrase !== "");

  return (
    <form className="card remote-card remote-form" onSubmit={submit} noValidate data-testid="remote-form" aria-labelledby="remote-form-title">
      <div className="remote-card-head">
        <h3 id="remote-form-title">{t("remote.form.title")}</h3>
        {form.savedId && (
          <span className="chip chip-small remote-saved-chip" data-testid="remote-form-saved" data-saved-id={form.savedId}>
            {t("remote.form.fromSaved", { name: form.savedName ?? "" })}
            <button type="button" className="remote-chip-x" aria-label={t("remote.form.detach")} title={t("remote.form.detach")} onClick={() => setForm(() => ({ ...EMPTY_FORM }))}>
              ×
            </button>
          </span>
        )}
      </div>

      <div className="remote-host-row">
        <label className="remote-field">
          <span className="remote-label">{t("remote.form.host")}</span>
          <input
            ref={hostRef}
            className={`input mono${invalid("host")}`}
            value={form.host}
            onChange={(e) => edit({ host: e.target.value })}
            onBlur={() => setForm(splitHostField)}
            placeholder={t("remote.form.hostPlaceholder")}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            aria-invalid={problem?.field === "host"}
            data-testid="remote-host"
          />
        </label>
        <label className="remote-field remote-port">
          <span className="remote-label">{t("remote.form.port")}</span>
          <input
            ref={portRef}
            className={`input mono${invalid("port")}`}
            value={form.port}
            onChange={(e) => edit({ port: e.target.value.replace(/[^\d]/g, "") })}
            placeholder="22"
            inputMode="numeric"
            autoComplete="off"
            aria-invalid={problem?.field === "port"}
            data-testid="remote-port"
          />
        </label>
      </div>

      <label className="remote-field">
        <span className="remote-label">{t("remote.form.user")}</span>
        <input
          className="input mono"
          value={form.user}
          onChange={(e) => edit({ user: e.target.value })}
          placeholder={t("remote.form.userPlaceholder")}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          data-testid="remote-user"
        />
      </label>

      <div className="remote-field">
        <span className="remote-label" id="remote-auth-label">
          {t("remote.form.auth")}
        </span>
        <div className="segmented remote-auth" role="group" aria-labelledby="remote-auth-label">
          {AUTH_MODES.map((mode) => (
            <button
              key={mode}
              type="button"
              aria-pressed={form.auth === mode}
              className={form.auth === mode ? "active" : ""}
              onClick={() => edit({ auth: mode })}
              data-testid={`remote-auth-${mode}`}
            >
              {t(`remote.auth.${mode}`)}
            </button>
          ))}
        </div>
        <span className="muted small">{t(`remote.auth.${form.auth}Hint`)}</span>
      </div>

      {form.auth === "key" && (
        <>
          <label className="remote-field">
            <span className="remote-label">{t("remote.form.keyPath")}</span>
            <input
              ref={keyRef}
              className={`input mono${invalid("keyFile")}`}
              value={form.keyFile}
              onChange={(e) => edit({ keyFile: e.target.value })}
              placeholder="~/.ssh/id_ed25519"
              autoComplete="off"
              spellCheck={false}
              aria-invalid={problem?.field === "keyFile"}
              data-testid="remote-key-path"
            />
            <span className="muted small">{t("remote.form.keyPathHint")}</span>
          </label>
          <label className="remote-field">
            <span className="remote-label">
              {t("remote.form.passphrase")} <span className="muted">{t("remote.form.optional")}</span>
            </span>
            <input
              className="input"
              type="password"
              value={form.passphrase}
              onChange={(e) => edit({ passphrase: e.target.value })}
              placeholder={form.savedId && form.savedHasPassphrase ? t("remote.form.secretRemembered") : ""}
              autoComplete="off"
              data-testid="remote-passphrase"
            />
          </label>
        </>
      )}

      {form.auth === "password" && (
        <label className="remote-field">
          <span className="remote-label">{t("remote.form.password")}</span>
          <input
            ref={passwordRef}
            className={`input${invalid("password")}`}
            type="password"
            value={form.password}
            onChange={(e) => edit({ password: e.target.value })}
            placeholder={form.savedId && form.savedHasPassword ? t("remote.form.secretRemembered") : ""}
            autoComplete="off"
            aria-invalid={problem?.field === "password"}
            data-testid="remote-password"
          />
        </label>
      )}

      <details className="remote-details">
        <summary data-testid="remote-more">
          {t("remote.form.more")}
          {form.jumpHost.trim() && <span className="muted mono small"> · {t("remote.form.via", { host: form.jumpHost.trim() })}</span>}
        </summary>
        <label className="remote-field">
          <span className="remote-label">{t("remote.form.jumpHost")}</span>
          <input
            className="input mono"
            value={form.jumpHost}
            onChange={(e) => edit({ jumpHost: e.target.value })}
            placeholder={t("remote.form.jumpHostPlaceholder")}
            autoComplete="off"
            spellCheck={false}
            data-testid="remote-jump-host"
          />
        </label>
      </details>

      <div className="remote-save">
        <label className="field checkbox">
          <input type="checkbox" checked={form.save} onChange={(e) => edit({ save: e.target.checked })} data-testid="remote-save" />
          {form.savedId ? t("remote.form.saveUpdate") : t("remote.form.save")}
        </label>
        {form.save && (
          <>
            <input
              className="input"
              value={form.saveName}
              onChange={(e) => edit({ saveName: e.target.value })}
              placeholder={formTargetLabel(form) || t("remote.form.saveName")}
              aria-label={t("remote.form.saveName")}
              data-testid="remote-save-name"
            />
            {hasSecret && (
              <label className="field checkbox" title={t("remote.form.rememberSecretsHint")}>
                <input
                  type="checkbox"
                  checked={form.rememberSecrets}
                  onChange={(e) => edit({ rememberSecrets: e.target.checked })}
                  data-testid="remote-remember-secrets"
                />
                {form.auth === "password" ? t("remote.form.rememberPassword") : t("remote.form.rememberPassphrase")}
              </label>
            )}
            {hasSecret && <span className="muted small">{t("remote.form.rememberSecretsHint")}</span>}
          </>
        )}
      </div>

      {problem && (
        <div className="inline-error" role="alert" data-testid="remote-form-problem" data-field={problem.field}>
          {t(problem.message)}
        </div>
      )}

      <div className="row gap-s">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="remote-connect">
          {busy && <Spinner />}
          {busy ? t("remote.form.connecting") : t("remote.form.connect")}
        </button>
      </div>

      {failure && (
        <div className="remote-alert remote-alert-error" role="alert" data-testid="remote-connect-error" data-reason={failure.info.reason ?? ""}>
          <div className="remote-alert-head">
            <strong>{t(failure.info.title)}</strong>
            <span className="spacer" />
            <button type="button" className="btn-icon" onClick={onDismissFailure} aria-label={t("common.close")} title={t("common.close")}>
              ×
            </button>
          </div>
          {failure.target && <div className="mono small remote-break">{failure.target}</div>}
          <div className="remote-alert-detail" data-testid="remote-connect-error-detail">
            {failure.info.detail}
          </div>
          {failure.info.reason === "authentication_failed" && <div className="small">{t("remote.error.authHint")}</div>}
          {failure.info.title === "remote.error.loopback" && <div className="small">{t("remote.error.loopbackHint")}</div>}
        </div>
      )}
    </form>
  );
}
