import { Fragment, useState } from "react";
import { remoteApi } from "../../api/remote";
import type { RemoteFsEntry } from "../../api/types";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { useI18n } from "../../i18n/context";
import { formatBytes, formatDateTime } from "../../lib/format";
import { remoteErrorText } from "./errors";
import { parentRemotePath, remotePathCrumbs } from "./paths";

function FileGlyph() {
  return (
    <svg className="icon" width={14} height={14} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" aria-hidden="true">
      <path d="M4 2.5h5l3 3v8H4zM9 2.5v3h3" />
    </svg>
  );
}

function EntryRow({ entry, onOpen }: { entry: RemoteFsEntry; onOpen: (path: string) => void }) {
  const { t } = useI18n();
  const common = {
    "data-testid": "remote-fs-entry",
    "data-type": entry.type,
    "data-path": entry.path,
    "data-name": entry.name,
  };
  const meta = (
    <>
      <span className="remote-fs-size mono">{entry.type === "dir" ? "" : formatBytes(entry.size)}</span>
      <span className="remote-fs-time mono">{entry.mtime ? formatDateTime(entry.mtime, false) : ""}</span>
    </>
  );
  if (entry.type === "dir") {
    return (
      <button type="button" className="remote-fs-entry is-dir" onClick={() => onOpen(entry.path)} title={t("remote.fs.open", { name: entry.name })} {...common}>
        <Icon name="folder" size={14} />
        <span className="remote-fs-name">{entry.name}</span>
        <span className="muted small" title={entry.is_link ? t("remote.fs.link") : undefined}>
          {entry.is_link ? "↪" : ""}
        </span>
        {meta}
      </button>
    );
  }
  return (
    <div className="remote-fs-entry is-file" {...common}>
      <FileGlyph />
      <span className="remote-fs-name">{entry.name}</span>
      <span className="muted small" title={entry.is_link ? t("remote.fs.link") : undefined}>
        {entry.is_link ? "↪" : ""}
      </span>
      {meta}
    </div>
  );
}

/** A remote folder browser over SFTP: navigate folders, then use the one shown as the root. */
export function FsBrowser({
  connectionId,
  start,
  onPick,
  onClose,
}: {
  connectionId: string;
  start: string;
  onPick: (path: string) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [path, setPath] = useState(start || "~");
  const [showHidden, setShowHidden] = useState(false);
  const listing = useAsync(`${connectionId}\n${path}\n${showHidden ? 1 : 0}`, (signal) =>
    remoteApi.listDir(connectionId, path, showHidden, signal),
  );
  const data = listing.data;
  const current = data?.path ?? path;
  const parent = data ? data.parent : parentRemotePath(path);
  const crumbs = remotePathCrumbs(current);
  const state = listing.loading ? "loading" : listing.error ? "error" : data && data.entries.length === 0 ? "empty" : "ready";
  const info = listing.error ? remoteErrorText(listing.error) : null;

  return (
    <div className="remote-fs" data-testid="remote-fs-list" data-path={current} data-state={state} data-count={data?.entries.length ?? 0}>
      <div className="remote-fs-bar">
        <button
          type="button"
          className="btn-icon"
          onClick={() => parent && setPath(parent)}
          disabled={!parent}
          title={t("remote.fs.up")}
          aria-label={t("remote.fs.up")}
          data-testid="remote-fs-up"
        >
          ↑
        </button>
        <button type="button" className="btn-icon mono" onClick={() => setPath("~")} title={t("remote.fs.home")} aria-label={t("remote.fs.home")} data-testid="remote-fs-home">
          ~
        </button>
        <nav className="remote-crumbs mono" aria-label={t("remote.fs.location")}>
          {crumbs.map((c, i) => (
            <Fragment key={c.path}>
              {i > 0 && crumbs[i - 1].label !== "/" && <span className="muted">/</span>}
              <button
                type="button"
                className="link"
                onClick={() => setPath(c.path)}
                aria-current={i === crumbs.length - 1 ? "location" : undefined}
                data-testid="remote-fs-crumb"
                data-path={c.path}
              >
                {c.label}
              </button>
            </Fragment>
          ))}
        </nav>
        <span className="spacer" />
        {listing.reloading && <Spinner />}
        <label className="field checkbox">
          <input type="checkbox" checked={showHidden} onChange={(e) => setShowHidden(e.target.checked)} data-testid="remote-fs-hidden" />
          {t("remote.fs.hidden")}
        </label>
        <button type="button" className="btn-icon" onClick={listing.reload} title={t("common.refresh")} aria-label={t("common.refresh")} data-testid="remote-fs-refresh">
          <Icon name="refresh" size={13} />
        </button>
      </div>
      <div className="remote-fs-body">
        {listing.loading ? (
          <div className="row gap-s muted small remote-fs-note" data-testid="remote-fs-loading">
            <Spinner /> {t("common.loading")}
          </div>
        ) : info ? (
          <div className="remote-fs-note" data-testid="remote-fs-error">
            <div className="inline-error">
              <strong>{t(info.title)}</strong> {info.detail}
            </div>
            <div className="row gap-s">
              <button type="button" className="btn btn-small" onClick={listing.reload}>
                {t("common.retry")}
              </button>
              <button type="button" className="btn btn-small" onClick={() => setPath("~")}>
                {t("remote.fs.home")}
              </button>
            </div>
          </div>
        ) : data && data.entries.length === 0 ? (
          <div className="muted small remote-fs-note" data-testid="remote-fs-empty">
            {t("remote.fs.empty")}
          </div>
        ) : data ? (
          <ul className="remote-fs-entries">
            {data.entries.map((entry) => (
              <li key={entry.path}>
                <EntryRow entry={entry} onOpen={setPath} />
              </li>
            ))}
          </ul>
        ) : null}
        {data?.truncated && <div className="muted small remote-fs-note">{t("remote.fs.truncated", { n: data.entries.length })}</div>}
      </div>
      <div className="remote-fs-foot">
        <span className="muted small">{t("remote.fs.useHint")}</span>
        <span className="spacer" />
        <button type="button" className="btn btn-small" onClick={onClose} data-testid="remote-fs-close">
          {t("common.close")}
        </button>
        <button type="button" className="btn btn-primary btn-small" onClick={() => data && onPick(data.path)} disabled={!data} data-testid="remote-fs-use">
          {t("remote.fs.use")}
        </button>
      </div>
    </div>
  );
}
