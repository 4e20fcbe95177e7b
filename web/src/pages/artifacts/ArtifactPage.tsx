import { Link, useParams } from "react-router";
import { artifactsApi } from "../../api/artifacts";
import { ApiError } from "../../api/client";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { RelativeTime } from "../../components/RelativeTime";
import { useAsync } from "../../hooks/useAsync";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { formatBytes } from "../../lib/format";
import { runHref } from "../../lib/urlState";
import { editableAliases } from "./aliases";
import { modelHref, versionHref } from "./links";
import { Pager } from "./Pager";
import { StageBadge } from "./StageBadge";
import { decodePaged, encodePaged } from "./urlState";
import "./artifacts.css";

const PAGE_SIZE = 50;

/** One artifact's versions, newest first. */
function ArtifactView({ project, name }: { project: string; name: string }) {
  const { t } = useI18n();
  const [state, update] = useUrlState(decodePaged, encodePaged);
  const offset = (state.page - 1) * PAGE_SIZE;
  const versions = useAsync(`versions:${project}/${name}:${offset}`, (signal) =>
    artifactsApi.versions(project, name, { limit: PAGE_SIZE, offset }, signal),
  );
  const data = versions.data;

  if (!data) {
    if (versions.error instanceof ApiError && versions.error.status === 404) {
      return (
        <EmptyState
          testId="artifact-not-found"
          icon="?"
          title={t("artifacts.notFound")}
          hint={<span className="mono">{`${project}/${name}`}</span>}
          action={
            <Link className="btn" to="/artifacts">
              {t("artifacts.back")}
            </Link>
          }
        />
      );
    }
    if (versions.error) return <ErrorState error={versions.error} onRetry={versions.reload} testId="artifact-error" />;
    return <LoadingState testId="artifact-loading" />;
  }
  const isModel = data.type === "model";
  return (
    <div className="artifacts-page" data-testid="artifact-page" data-type={data.type}>
      <nav className="crumbs small">
        <Link to="/artifacts">{t("artifacts.title")}</Link>
        <span aria-hidden="true">/</span>
        <Link to={`/artifacts?project=${encodeURIComponent(project)}`}>{project}</Link>
      </nav>
      <div className="artifacts-head">
        <h2 className="mono" data-testid="artifact-title">
          {name}
        </h2>
        <span className={`type-badge type-${data.type}`}>{data.type}</span>
        <span className="muted small">{t("artifacts.versionCount", { n: data.total })}</span>
        <div className="spacer" />
        {isModel && (
          <Link className="btn" to={modelHref(project, name)} data-testid="open-model">
            {t("models.openRegistry")}
          </Link>
        )}
      </div>
      <div className="table-card">
        <table className="kv-table" data-testid="versions-table">
          <thead>
            <tr>
              <th>{t("artifacts.version")}</th>
              <th>{t("artifacts.aliases")}</th>
              {isModel && <th>{t("models.stage")}</th>}
              <th className="num">{t("artifacts.files")}</th>
              <th className="num">{t("artifacts.size")}</th>
              <th>{t("artifacts.created")}</th>
              <th>{t("artifacts.producer")}</th>
              <th>{t("artifacts.description")}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((v) => (
              <tr key={v.version} data-testid="version-row" data-version={v.version}>
                <td>
                  <Link className="mono strong" to={versionHref(project, name, v.version)} data-testid="version-link">
                    v{v.version}
                  </Link>
                  {v.aliases.includes("latest") && <span className="tag latest-tag">latest</span>}
                </td>
                <td>
                  <span className="tags">
                    {editableAliases(v.aliases).map((a) => (
                      <span key={a} className="tag alias-tag">
                        {a}
                      </span>
                    ))}
                  </span>
                </td>
                {isModel && (
                  <td>
                    <StageBadge stage={v.stage} />
                  </td>
                )}
                <td className="num">{v.file_count}</td>
                <td className="num">{formatBytes(v.size)}</td>
                <td className="muted">
                  <RelativeTime ts={v.created_at} />
                </td>
                <td>
                  {v.created_by ? (
                    <Link className="mono small" to={runHref(v.created_by)}>
                      {v.created_by}
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="muted ellipsis">{v.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={state.page} pageSize={PAGE_SIZE} shown={data.items.length} total={data.total} onPage={(p) => update({ page: p }, { push: true })} />
    </div>
  );
}

export default function ArtifactPage() {
  const { project, name } = useParams();
  if (!project || !name) return null;
  return <ArtifactView key={`${project}/${name}`} project={project} name={name} />;
}
