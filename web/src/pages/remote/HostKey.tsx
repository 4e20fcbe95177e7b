import { useRef } from "react";
import { errorMessage } from "../../api/client";
import type { RemoteHostKeyError } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";
import { useI18n } from "../../i18n/context";
import { hostKeyFile, knownHostsPattern } from "./errors";
import { Modal } from "./Modal";

/**
 * An unknown host key: the fingerprint to check, and nothing is trusted until the user presses
 * "Trust and connect" (which accepts exactly this fingerprint, then connects again).
 */
export function HostKeyDialog({
  hostKey,
  target,
  accepting,
  error,
  onAccept,
  onCancel,
}: {
  hostKey: RemoteHostKeyError;
  target: string;
  accepting: boolean;
  error: unknown;
  onAccept: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const pattern = knownHostsPattern(hostKey.host, hostKey.port);
  return (
    <Modal
      labelledBy="hostkey-title"
      testId="hostkey-dialog"
      onClose={() => {
        if (!accepting) onCancel();
      }}
      initialFocus={cancelRef}
      attrs={{ "data-host": hostKey.host, "data-port": hostKey.port }}
    >
      <h2 id="hostkey-title">{t("remote.hostKey.title")}</h2>
      <p>{t("remote.hostKey.intro", { host: pattern })}</p>
      <dl className="remote-dl">
        <dt>{t("remote.hostKey.host")}</dt>
        <dd className="mono">
          {pattern}
          {target && target !== pattern && <span className="muted"> · {target}</span>}
        </dd>
        <dt>{t("remote.hostKey.keyType")}</dt>
        <dd className="mono" data-testid="hostkey-type">
          {hostKey.key_type || "—"}
        </dd>
        <dt>{t("remote.hostKey.fingerprint")}</dt>
        <dd className="hostkey-fingerprint-row">
          <code className="hostkey-fingerprint" data-testid="hostkey-fingerprint">
            {hostKey.fingerprint}
          </code>
          <CopyButton text={hostKey.fingerprint} />
        </dd>
      </dl>
      <div className="remote-alert remote-alert-warn">
        <p>{t("remote.hostKey.check")}</p>
        <code className="remote-code">ssh-keygen -lf {hostKeyFile(hostKey.key_type)}</code>
        <p>{t("remote.hostKey.trustNote")}</p>
      </div>
      {error ? (
        <div className="inline-error" role="alert" data-testid="hostkey-error">
          {errorMessage(error)}
        </div>
      ) : null}
      <div className="modal-actions">
        <button type="button" className="btn" ref={cancelRef} onClick={onCancel} disabled={accepting} data-testid="hostkey-cancel">
          {t("common.cancel")}
        </button>
        <button type="button" className="btn btn-primary" onClick={onAccept} disabled={accepting} data-testid="hostkey-accept">
          {accepting ? t("remote.hostKey.accepting") : t("remote.hostKey.accept")}
        </button>
      </div>
    </Modal>
  );
}

/** A changed host key: refused, never acceptable here; says why and how to check. */
export function HostKeyChangedAlert({ hostKey, onDismiss }: { hostKey: RemoteHostKeyError; onDismiss: () => void }) {
  const { t } = useI18n();
  const pattern = knownHostsPattern(hostKey.host, hostKey.port);
  return (
    <div
      className="remote-alert remote-alert-danger remote-hostkey-changed"
      role="alert"
      data-testid="hostkey-changed"
      data-host={hostKey.host}
      data-port={hostKey.port}
    >
      <div className="remote-alert-head">
        <span className="remote-alert-icon" aria-hidden="true">
          !
        </span>
        <strong>{t("remote.hostKeyChanged.title", { host: pattern })}</strong>
        <span className="spacer" />
        <button type="button" className="btn-icon" onClick={onDismiss} aria-label={t("common.close")} title={t("common.close")} data-testid="hostkey-changed-dismiss">
          ×
        </button>
      </div>
      <p>{t("remote.hostKeyChanged.body")}</p>
      <dl className="remote-dl">
        <dt>{t("remote.hostKey.keyType")}</dt>
        <dd className="mono">{hostKey.key_type || "—"}</dd>
        <dt>{t("remote.hostKeyChanged.presented")}</dt>
        <dd className="hostkey-fingerprint-row">
          <code className="hostkey-fingerprint" data-testid="hostkey-changed-fingerprint">
            {hostKey.fingerprint}
          </code>
        </dd>
      </dl>
      <p>{t("remote.hostKeyChanged.fix")}</p>
      <code className="remote-code">ssh-keygen -R &apos;{pattern}&apos;</code>
      <details className="remote-details">
        <summary>{t("remote.details")}</summary>
        <pre className="remote-pre">{hostKey.detail}</pre>
      </details>
    </div>
  );
}
