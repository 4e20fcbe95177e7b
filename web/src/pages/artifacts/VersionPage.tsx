import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { artifactsApi, type RunRef } from "../../api/artifacts";
import { ApiError } from "../../api/client";
import { ConfirmButton } from "../../components/ConfirmButton";
import { CopyButton } from "../../components/CopyButton";
import { Icon } from "../../components/Icon";
import { RelativeTime } from "../../components/RelativeTime";
import { EmptyState, ErrorState, InlineError, LoadingState } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { useAsync } from "../../hooks/useAsync";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { formatBytes, formatDateTime } from "../../lib/format";
import { runHref } from "../../lib/urlState";
import { KeyValueTable } from "../run/KeyValueTable";
import { rowsOf } from "../run/keyValueRows";
import { AliasEditor } from "./AliasEditor";
import { FileTree } from "./FileTree";
import { LineagePanel } from "./LineagePanel";
import { artifactHref, modelHref, VERSION_TABS, versionHref, type VersionTab } from "./links";
import { StageBadge } from "./StageBadge";
import { decodeVersionPage, encodeVersionPage } from "./urlState";
import "./artifacts.css";

function RunLink({ run, testId }: { run: RunRef; testId: string }) {
  return (
    <Link to={runHref(run.run_id)} className="run-ref" data-testid={testId} data-run-id={run.run_id}>
      <StatusBadge status={run.status} compact />
      <span>{run.name || run.run_id}</span>
      <span className="mono muted small">{run.run_id}</span>
    </Link>
  );
}

function VersionView({ project, name, ver }: { project: string; name: string; ver: string }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [state, update] = useUrlState(decodeVersionPage, encodeVersionPage);
  const detail = useAsync(`version:${project}/${name}/${ver}`, (signal) => artifactsApi.version(project, name, ver, signal));
  const versions = useAsync(`versions:${project}/${name}:select`, (signal) =>
    artifactsApi.versions(project, name, { limit: 200 }, signal),
  );
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const version = detail.data;

  if (!version) {
    if (detail.error instanceof ApiError && detail.error.status === 404) {
      return (
        <EmptyState
          testId="version-not-found"
          icon="?"
          title={t("artifacts.versionNotFound")}
          hint={<span className="mono">{`${project}/${name}:${ver}`}</span>}
          action={
            <Link className="btn" to={artifactHref(project, name)}>
              {t("artifacts.allVersions")}
            </Link>
          }
        />
      );
    }
    if (detail.error) return <ErrorState error={detail.error} onRetry={detail.reload} testId="version-error" />;
    return <LoadingState testId="version-loading" />;
  }

  const isModel = version.type === "model";
  const fileCount = Object.keys(version.files).length;
  const tabLabel: Record<VersionTab, string> = {
    files: `${t("artifacts.tab.files")} (${fileCount})`,
    metadata: t("artifacts.tab.metadata"),
    lineage: t("artifacts.tab.lineage"),
  };
  const remove = () => {
    setDeleteError(null);
    artifactsApi.deleteVersion(project, name, version.version).then(
      () => void navigate(artifactHref(project, name)),
      (e: unknown) => setDeleteError(e),
    );
  };

  return (
    <div className="artifacts-page version-page" data-testid="version-page" data-version={version.version} data-type={version.type}>
      <nav className="crumbs small">
        <Link to="/artifacts">{t("artifacts.title")}</Link>
        <span aria-hidden="true">/</span>
        <Link to={`/artifacts?project=${encodeURIComponent(project)}`}>{project}</Link>
        <span aria-hidden="true">/</span>
        <Link to={artifactHref(project, name)} data-testid="artifact-crumb">
          {name}
        </Link>
      </nav>
      <div className="artifacts-head">
        <h2 className="mono" data-testid="version-title">
          {version.name}:v{version.version}
        </h2>
        <span className={`type-badge type-${version.type}`}>{version.type}</span>
        {isModel && <StageBadge stage={version.stage} />}
        {versions.data && versions.data.items.length > 1 && (
          <select
            className="input"
            value={version.version}
            onChange={(e) => void navigate(versionHref(project, name, Number(e.target.value), state.tab))}
            aria-label={t("artifacts.version")}
            data-testid="version-select"
          >
            {versions.data.items.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
                {v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}
              </option>
            ))}
          </select>
        )}
        <div className="spacer" />
        <a className="btn" href={artifactsApi.zipUrl(project, name, version.version)} download data-testid="version-download">
          <Icon name="download" />
          {t("artifacts.downloadZip")}
        </a>
        {isModel && (
          <Link className="btn" to={modelHref(project, name)} data-testid="open-model">
            {t("models.openRegistry")}
          </Link>
        )}
        <ConfirmButton confirmLabel={t("artifacts.deleteConfirm", { v: version.version })} onConfirm={remove} testId="version-delete">
          <Icon name="trash" />
          {t("artifacts.delete")}
        </ConfirmButton>
      </div>
      {deleteError !== null && <InlineError error={deleteError} />}
      {version.description && <p className="version-description">{version.description}</p>}

      <div className="version-grid">
        <div className="card version-facts">
          <dl>
            <dt>{t("artifacts.created")}</dt>
            <dd title={formatDateTime(version.created_at)}>
              <RelativeTime ts={version.created_at} />
            </dd>
            <dt>{t("artifacts.size")}</dt>
            <dd data-testid="version-size">{formatBytes(version.size)}</dd>
            <dt>{t("artifacts.files")}</dt>
            <dd>{fileCount}</dd>
            <dt>{t("artifacts.digest")}</dt>
            <dd className="mono small digest" title={version.digest}>
              {version.digest.slice(0, 16)}…<CopyButton text={version.digest} />
            </dd>
            {version.references.length > 0 && (
              <>
                <dt>{t("artifacts.references")}</dt>
                <dd>
                  <ul className="plain-list">
                    {version.references.map((r, i) => (
                      <li key={`${r.uri}-${i}`} className="mono small">
                        {r.uri}
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
          </dl>
        </div>
        <div className="card">
          <h3>{t("artifacts.aliases")}</h3>
          <AliasEditor version={version} onSaved={(d) => {
            detail.mutate(d);
            versions.reload();
          }} />
        </div>
        <div className="card" data-testid="version-runs">
          <h3>{t("artifacts.producer")}</h3>
          {version.producer ? (
            <RunLink run={version.producer} testId="producer-link" />
          ) : (
            <span className="muted small">{t("artifacts.noProducer")}</span>
          )}
          <h3 className="consumers-head">{t("artifacts.consumers", { n: version.consumers.length })}</h3>
          {version.consumers.length === 0 ? (
            <span className="muted small">{t("artifacts.noConsumers")}</span>
          ) : (
            <ul className="plain-list">
              {version.consumers.map((run) => (
                <li key={run.run_id}>
                  <RunLink run={run} testId="consumer-link" />
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>

      <div className="tabs" role="tablist">
        {VERSION_TABS.map((tab) => (
          <button
            key={tab}
            type="button"
            role="tab"
            aria-selected={state.tab === tab}
            className={state.tab === tab ? "tab active" : "tab"}
            onClick={() => update({ tab }, { push: true })}
            data-testid={`version-tab-${tab}`}
          >
            {tabLabel[tab]}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" data-testid={`version-panel-${state.tab}`}>
        {state.tab === "files" && (
          <FileTree files={version.files} fileUrl={(path) => artifactsApi.fileUrl(project, name, version.version, path)} />
        )}
        {state.tab === "metadata" && (
          <KeyValueTable rows={rowsOf(version.metadata)} testId="metadata-table" emptyText={t("artifacts.noMetadata")} />
        )}
        {state.tab === "lineage" && (
          <LineagePanel
            cacheKey={`lineage:${project}/${name}/${version.version}`}
            depth={state.depth}
            onDepthChange={(depth) => update({ depth })}
            load={(depth, signal) => artifactsApi.lineage(project, name, version.version, depth, signal)}
          />
        )}
      </div>
    </div>
  );
}

export default function VersionPage() {
  const { project, name, ver } = useParams();
  if (!project || !name || !ver) return null;
  return <VersionView key={`${project}/${name}/${ver}`} project={project} name={name} ver={ver} />;
}
