import { useCallback, useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { remoteApi } from "../../api/remote";
import type { RemoteConnectRequest, RemoteConnection, RemoteViewerSession, SavedConnection } from "../../api/types";
import { ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { usePolling } from "../../hooks/usePolling";
import { useI18n } from "../../i18n/context";
import { ConnectForm } from "./ConnectForm";
import { ConnectionList } from "./ConnectionList";
import { ConnectionWorkspace } from "./ConnectionWorkspace";
import { describeRemoteError, remoteErrorText } from "./errors";
import { EMPTY_FORM, buildConnectRequest, clearSecrets, formFromSaved, formTargetLabel, formatTarget, savedNeedsPassword, type ConnectFormState } from "./form";
import { HostKeyChangedAlert, HostKeyDialog } from "./HostKey";
import { SavedConnections } from "./SavedConnections";
import { SessionCard } from "./SessionCard";
import { sortSessions } from "./sessions";
import { useConnect } from "./useConnect";
import "./remote.css";

const POLL_MS = 3000;

/** Open connections and viewer sessions, polled; a late answer never overwrites a newer one. */
function useRemoteState() {
  const [connections, setConnections] = useState<RemoteConnection[] | null>(null);
  const [sessions, setSessions] = useState<RemoteViewerSession[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const refresh = useCallback(() => {
    const mine = ++seq.current;
    Promise.all([remoteApi.connections(), remoteApi.viewerSessions()]).then(
      ([c, s]) => {
        if (mine !== seq.current) return;
        setConnections(c.items);
        setSessions(s.items);
        setError(null);
      },
      (e: unknown) => {
        if (mine === seq.current) setError(e);
      },
    );
  }, []);
  useEffect(refresh, [refresh]);
  usePolling(refresh, POLL_MS);
  return { connections, sessions, error, refresh, setSessions };
}

export default function RemotePage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const { connections, sessions, error, refresh, setSessions } = useRemoteState();
  const saved = useAsync("saved", (signal) => remoteApi.saved(signal));
  const reloadSaved = saved.reload;
  const [form, setFormState] = useState<ConnectFormState>(EMPTY_FORM);
  const [focusPassword, setFocusPassword] = useState(0);
  const [disconnecting, setDisconnecting] = useState<string | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [savedError, setSavedError] = useState<unknown>(null);
  const [stopping, setStopping] = useState<Partial<Record<string, boolean>>>({});
  const [stopErrors, setStopErrors] = useState<Partial<Record<string, unknown>>>({});

  const setForm = useCallback((update: (f: ConnectFormState) => ConnectFormState) => setFormState(update), []);

  const select = useCallback(
    (id: string) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          next.set("conn", id);
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  const onConnected = useCallback(
    (connection: RemoteConnection, body: RemoteConnectRequest) => {
      setFormState(clearSecrets);
      select(connection.id);
      refresh();
      if (body.save) reloadSaved();
    },
    [select, refresh, reloadSaved],
  );
  const flow = useConnect(onConnected);

  const list = connections ?? [];
  const wanted = params.get("conn");
  const active = list.find((c) => c.id === wanted) ?? (list.length > 0 ? list[0] : null);
  const ordered = sortSessions(sessions ?? []);

  const disconnect = async (connection: RemoteConnection) => {
    setDisconnecting(connection.id);
    setListError(null);
    try {
      await remoteApi.disconnect(connection.id);
    } catch (e) {
      setListError(e);
    } finally {
      setDisconnecting(null);
      refresh();
    }
  };

  const stop = async (session: RemoteViewerSession) => {
    setStopping((s) => ({ ...s, [session.id]: true }));
    setStopErrors((s) => ({ ...s, [session.id]: null }));
    try {
      await remoteApi.stopViewer(session.id);
      setSessions((prev) => (prev ? prev.filter((s) => s.id !== session.id) : prev));
    } catch (e) {
      setStopErrors((s) => ({ ...s, [session.id]: e }));
    } finally {
      setStopping((s) => ({ ...s, [session.id]: false }));
      refresh();
    }
  };

  const connectSaved = (item: SavedConnection) => {
    if (savedNeedsPassword(item)) {
      setFormState(formFromSaved(item));
      setFocusPassword((n) => n + 1);
      return;
    }
    void flow.connect({ saved_id: item.id }, item.name || formatTarget(item));
  };

  const deleteSaved = async (item: SavedConnection) => {
    setDeleting(item.id);
    setSavedError(null);
    try {
      await remoteApi.deleteSaved(item.id);
      if (form.savedId === item.id) setFormState((f) => ({ ...f, savedId: null, savedName: null, savedHasPassword: false, savedHasPassphrase: false }));
      saved.reload();
    } catch (e) {
      setSavedError(e);
    } finally {
      setDeleting(null);
    }
  };

  if (connections === null) {
    if (error) {
      const info = describeRemoteError(error);
      const loopback = info.kind === "message" && info.title === "remote.error.loopback";
      return (
        <div className="remote-page" data-testid="remote-page">
          <ErrorState
            error={error}
            onRetry={refresh}
            testId="remote-error"
            title={loopback ? t("remote.error.loopbackTitle") : undefined}
          />
        </div>
      );
    }
    return <LoadingState testId="remote-loading" />;
  }

  return (
    <div className="remote-page" data-testid="remote-page">
      <div className="page-header">
        <h1>{t("remote.title")}</h1>
        <span className="muted small">{t("remote.subtitle")}</span>
        {error ? (
          <span className="inline-error" data-testid="remote-poll-error">
            {remoteErrorText(error).detail}
          </span>
        ) : null}
      </div>

      {flow.changed && <HostKeyChangedAlert hostKey={flow.changed} onDismiss={flow.dismissChanged} />}

      <div className="remote-layout">
        <aside className="remote-side">
          <ConnectForm
            form={form}
            setForm={setForm}
            busy={flow.busy}
            failure={flow.failure}
            onDismissFailure={flow.dismissFailure}
            onConnect={(f) => void flow.connect(buildConnectRequest(f), formTargetLabel(f))}
            focusPassword={focusPassword}
          />
          <SavedConnections
            items={saved.data?.items}
            loading={saved.loading}
            error={savedError ?? saved.error}
            busy={flow.busy}
            deleting={deleting}
            onRetry={saved.reload}
            onConnect={connectSaved}
            onEdit={(item) => setFormState(formFromSaved(item))}
            onDelete={(item) => void deleteSaved(item)}
          />
        </aside>

        <div className="remote-main">
          <ConnectionList
            connections={list}
            activeId={active?.id ?? null}
            disconnecting={disconnecting}
            onSelect={select}
            onDisconnect={(c) => void disconnect(c)}
          />
          {listError ? (
            <div className="remote-alert remote-alert-error" role="alert" data-testid="remote-disconnect-error">
              {remoteErrorText(listError).detail}
            </div>
          ) : null}

          {(ordered.length > 0 || list.length > 0) && (
            <section className="remote-sessions" data-testid="remote-sessions" data-count={ordered.length} aria-labelledby="remote-sessions-title">
              <div className="remote-section-head">
                <h2 id="remote-sessions-title">{t("remote.sessions.title")}</h2>
                {ordered.length > 0 && <span className="count">{ordered.length}</span>}
              </div>
              {ordered.length === 0 ? (
                <p className="muted small remote-empty-note" data-testid="remote-sessions-empty">
                  {t("remote.sessions.empty")}
                </p>
              ) : (
                <div className="remote-session-grid">
                  {ordered.map((s) => (
                    <SessionCard key={s.id} session={s} stopping={stopping[s.id] ?? false} stopError={stopErrors[s.id]} onStop={() => void stop(s)} />
                  ))}
                </div>
              )}
            </section>
          )}

          {active && (
            <ConnectionWorkspace
              key={active.id}
              connection={active}
              onStarted={(session) => {
                setSessions((prev) => [session, ...(prev ?? []).filter((s) => s.id !== session.id)]);
                refresh();
              }}
            />
          )}
        </div>
      </div>

      {flow.prompt && (
        <HostKeyDialog
          hostKey={flow.prompt.hostKey}
          target={flow.prompt.target}
          accepting={flow.accepting}
          error={flow.acceptError}
          onAccept={() => void flow.accept()}
          onCancel={flow.cancel}
        />
      )}
    </div>
  );
}
