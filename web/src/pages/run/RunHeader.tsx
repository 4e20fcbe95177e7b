import { useState } from "react";
import { Link } from "react-router";
import { api, errorMessage } from "../../api/client";
import type { RunDetail, RunItem } from "../../api/types";
import type { SocketState } from "../../api/socket";
import { CopyButton } from "../../components/CopyButton";
import { RelativeTime } from "../../components/RelativeTime";
import { StatusBadge } from "../../components/StatusBadge";
import { TagEditor } from "../../components/Tags";
import { useNow } from "../../hooks/useNow";
import { useI18n } from "../../i18n/context";
import { runCommand, runGit } from "../../lib/environment";
import { formatDateTime, formatDuration, formatRelativeTime } from "../../lib/format";

/** Why a run ended, for the header: its recorded reason, or for a crashed run what is known. */
function useEndReason(run: RunDetail): string | null {
  const { t, locale } = useI18n();
  const now = useNow(15_000);
  if (run.exit_reason) return run.exit_reason;
  if (run.status !== "crashed") return null;
  // The last sign of life: the heartbeat, or the last event of a run killed before one.
  const times = [run.heartbeat_at, run.ended_at].filter((v): v is number => typeof v === "number");
  if (times.length === 0) return t("run.crashedNoHeartbeat");
  const last = Math.max(...times);
  return t("run.crashedReason", { when: formatRelativeTime(last, now, locale), at: formatDateTime(last) });
}

export interface RunHeaderProps {
  run: RunDetail;
  live: SocketState | null;
  onUpdated: (run: RunItem) => void;
}

function NotesEditor({ run, onUpdated }: { run: RunDetail; onUpdated: (run: RunItem) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const value = draft ?? run.notes;
  const dirty = draft !== null && draft !== run.notes;
  const save = async () => {
    if (draft === null) return;
    setSaving(true);
    setError(null);
    try {
      onUpdated(await api.updateRun(run.id, { notes: draft }));
      setDraft(null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <div className="notes">
      <textarea
        className="input notes-input"
        value={value}
        placeholder={t("run.notesPlaceholder")}
        rows={Math.min(6, Math.max(1, value.split("\n").length))}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void save();
          if (e.key === "Escape") setDraft(null);
        }}
        data-testid="notes-input"
      />
      {dirty && (
        <div className="row gap-s">
          <button type="button" className="btn btn-primary btn-small" onClick={() => void save()} disabled={saving} data-testid="notes-save">
            {saving ? t("common.saving") : t("common.save")}
          </button>
          <button type="button" className="btn btn-small" onClick={() => setDraft(null)} disabled={saving}>
            {t("common.cancel")}
          </button>
          <span className="muted small">Ctrl/⌘ + Enter</span>
        </div>
      )}
      {error && <div className="inline-error">{error}</div>}
    </div>
  );
}

export function RunHeader({ run, live, onUpdated }: RunHeaderProps) {
  const { t } = useI18n();
  const [tagError, setTagError] = useState<string | null>(null);
  const [tagBusy, setTagBusy] = useState(false);
  const command = runCommand(run);
  const git = runGit(run);
  const endReason = useEndReason(run);

  const saveTags = async (tags: string[]) => {
    setTagBusy(true);
    setTagError(null);
    try {
      onUpdated(await api.updateRun(run.id, { tags }));
    } catch (e) {
      setTagError(errorMessage(e));
    } finally {
      setTagBusy(false);
    }
  };

  return (
    <header className="run-header" data-testid="run-header" data-run-id={run.id} data-status={run.status}>
      <div className="run-title-row">
        <div className="breadcrumbs">
          <Link to={`/?project=${encodeURIComponent(run.project)}`}>{run.project}</Link>
          <span className="sep">/</span>
          <Link to={`/?${new URLSearchParams({ project: run.project, name: run.name }).toString()}`}>{run.name}</Link>
        </div>
        <h1 className="run-title" data-testid="run-title">
          {run.name}
        </h1>
        {run.alias && (
          <span className="chip chip-small run-alias" data-testid="run-alias" title={t("run.alias")}>
            {run.alias}
          </span>
        )}
        <StatusBadge status={run.status} />
        {run.status === "running" && live && (
          <span className={`live-chip live-${live}`} data-testid="live-indicator" data-state={live} title={t(`live.${live}`)}>
            {t(`live.${live}`)}
          </span>
        )}
        <span className="run-id mono" data-testid="run-id">
          {run.id}
          <CopyButton text={run.id} />
        </span>
      </div>
      <dl className="run-meta">
        <div>
          <dt>{t("run.created")}</dt>
          <dd>
            <RelativeTime ts={run.created_at} testId="run-created" />
          </dd>
        </div>
        <div>
          <dt>{t("run.duration")}</dt>
          <dd data-testid="run-duration">{formatDuration(run.duration)}</dd>
        </div>
        {run.last_step !== undefined && run.last_step !== null && (
          <div>
            <dt>{t("run.lastStep")}</dt>
            <dd className="mono">{run.last_step}</dd>
          </div>
        )}
        <div>
          <dt>{t("run.host")}</dt>
          <dd data-testid="run-host">
            {run.hostname ?? "—"}
            {run.pid ? <span className="muted"> · pid {run.pid}</span> : null}
          </dd>
        </div>
        {git && (
          <div>
            <dt>{t("run.git")}</dt>
            <dd data-testid="run-git" className="mono">
              {git.commit ? git.commit.slice(0, 10) : "—"}
              {git.branch && <span className="muted"> ({git.branch})</span>}
              {git.dirty && (
                <span className="chip chip-small chip-warn" data-testid="git-dirty" title={t("run.dirtyHint")}>
                  {t("run.dirty")}
                </span>
              )}
              {git.commit && <CopyButton text={git.commit} />}
            </dd>
          </div>
        )}
        {endReason && (
          <div>
            <dt>{t("run.exitReason")}</dt>
            <dd className="exit-reason" data-testid="exit-reason">
              {endReason}
            </dd>
          </div>
        )}
      </dl>
      {command && (
        <div className="run-command" data-testid="run-command">
          <span className="prompt">$</span>
          <code className="mono" title={command}>
            {command}
          </code>
          <CopyButton text={command} />
        </div>
      )}
      <div className="run-tags-notes">
        <TagEditor tags={run.tags} onChange={(tags) => void saveTags(tags)} busy={tagBusy} />
        {tagError && <span className="inline-error">{tagError}</span>}
        <NotesEditor run={run} onUpdated={onUpdated} />
      </div>
    </header>
  );
}
