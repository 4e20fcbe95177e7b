import { useMemo } from "react";
import { Link } from "react-router";
import { artifactsApi } from "../../api/artifacts";
import { api } from "../../api/client";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { RelativeTime } from "../../components/RelativeTime";
import { useAsync } from "../../hooks/useAsync";
import { useDebounced } from "../../hooks/useDebounced";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { formatBytes } from "../../lib/format";
import { aliasPairs } from "./aliases";
import { artifactHref, versionHref } from "./links";
import { Pager } from "./Pager";
import { decodeArtifactsList, encodeArtifactsList } from "./urlState";
import "./artifacts.css";

const PAGE_SIZE = 50;
const COMMON_TYPES = ["dataset", "model", "code"];

/** Every artifact, newest change first; filtered by project, type and part of the name. */
export default function ArtifactsPage() {
  const { t } = useI18n();
  const [state, update] = useUrlState(decodeArtifactsList, encodeArtifactsList);
  // The box writes the URL as one types (replacing the entry); the request waits for a pause.
  const search = useDebounced(state.search, 250);

  const offset = (state.page - 1) * PAGE_SIZE;
  const key = `artifacts:${state.project ?? ""}:${state.type ?? ""}:${search}:${offset}`;
  const page = useAsync(key, (signal) =>
    artifactsApi.list({ project: state.project, type: state.type, name: search, limit: PAGE_SIZE, offset }, signal),
  );
  const projects = useAsync("projects", (signal) => api.projects(signal));

  const projectNames = useMemo(() => {
    const names = new Set((projects.data?.items ?? []).map((p) => p.project));
    for (const item of page.data?.items ?? []) names.add(item.project);
    if (state.project) names.add(state.project);
    return [...names].sort();
  }, [projects.data, page.data, state.project]);
  const types = useMemo(() => {
    const names = new Set(COMMON_TYPES);
    for (const item of page.data?.items ?? []) names.add(item.type);
    if (state.type) names.add(state.type);
    return [...names].sort();
  }, [page.data, state.type]);

  const filtered = Boolean(state.project || state.type || state.search);
  const total = page.data?.total ?? 0;

  return (
    <div className="artifacts-page" data-testid="artifacts-page">
      <div className="artifacts-head">
        <h2>{t("artifacts.title")}</h2>
        {page.data && (
          <span className="count" data-testid="artifacts-count" data-total={total}>
            {total}
          </span>
        )}
        <div className="spacer" />
        <input
          type="search"
          className="input artifacts-search"
          placeholder={t("artifacts.search")}
          aria-label={t("artifacts.search")}
          value={state.search}
          onChange={(e) => update({ search: e.target.value, page: 1 })}
          data-testid="artifacts-search"
        />
        <select
          className="input"
          value={state.project ?? ""}
          onChange={(e) => update({ project: e.target.value || null, page: 1 })}
          aria-label={t("artifacts.project")}
          data-testid="artifacts-project"
        >
          <option value="">{t("artifacts.allProjects")}</option>
          {projectNames.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <select
          className="input"
          value={state.type ?? ""}
          onChange={(e) => update({ type: e.target.value || null, page: 1 })}
          aria-label={t("artifacts.type")}
          data-testid="artifacts-type"
        >
          <option value="">{t("artifacts.allTypes")}</option>
          {types.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </div>
      {page.error && !page.data ? (
        <ErrorState error={page.error} onRetry={page.reload} testId="artifacts-error" />
      ) : !page.data ? (
        <LoadingState testId="artifacts-loading" />
      ) : page.data.items.length === 0 ? (
        filtered ? (
          <EmptyState
            testId="artifacts-empty-filtered"
            title={t("artifacts.noMatch")}
            action={
              <button
                type="button"
                className="btn"
                onClick={() => update({ project: null, type: null, search: "", page: 1 })}
              >
                {t("runs.clearFilters")}
              </button>
            }
          />
        ) : (
          <EmptyState
            testId="artifacts-empty"
            title={t("artifacts.none")}
            hint={
              <>
                {t("artifacts.noneHint")}
                <pre className="code-sample">{`art = rn.Artifact("cifar10", type="dataset")\nart.add_dir("data/cifar10")\nrun.log_artifact(art, aliases=["stable"])\nrun.log_model("checkpoints/best.pt", "resnet18")`}</pre>
              </>
            }
          />
        )
      ) : (
        <>
          <div className="table-card">
            <table className="kv-table artifacts-table" data-testid="artifacts-table">
              <thead>
                <tr>
                  <th>{t("artifacts.name")}</th>
                  <th>{t("artifacts.type")}</th>
                  <th>{t("artifacts.project")}</th>
                  <th>{t("artifacts.latest")}</th>
                  <th className="num">{t("artifacts.versions")}</th>
                  <th>{t("artifacts.aliases")}</th>
                  <th className="num">{t("artifacts.size")}</th>
                  <th>{t("artifacts.updated")}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((item) => (
                  <tr
                    key={`${item.project}/${item.name}`}
                    data-testid="artifact-row"
                    data-project={item.project}
                    data-name={item.name}
                    data-type={item.type}
                  >
                    <td>
                      <Link to={artifactHref(item.project, item.name)} className="strong" data-testid="artifact-link">
                        {item.name}
                      </Link>
                      {item.description && <div className="muted small ellipsis">{item.description}</div>}
                    </td>
                    <td>
                      <span className={`type-badge type-${item.type}`}>{item.type}</span>
                    </td>
                    <td className="muted">{item.project}</td>
                    <td>
                      <Link to={versionHref(item.project, item.name, item.latest_version)} className="mono" data-testid="artifact-latest-link">
                        v{item.latest_version}
                      </Link>
                    </td>
                    <td className="num">{item.version_count}</td>
                    <td>
                      <span className="tags">
                        {aliasPairs(item.aliases).map(([alias, version]) => (
                          <Link key={alias} to={versionHref(item.project, item.name, version)} className="tag alias-tag">
                            {alias} → v{version}
                          </Link>
                        ))}
                      </span>
                    </td>
                    <td className="num">{formatBytes(item.size)}</td>
                    <td className="muted">
                      <RelativeTime ts={item.updated_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={state.page} pageSize={PAGE_SIZE} shown={page.data.items.length} total={total} onPage={(p) => update({ page: p }, { push: true })} />
        </>
      )}
    </div>
  );
}
