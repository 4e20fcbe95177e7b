import { useMemo } from "react";
import { Link } from "react-router";
import { artifactsApi } from "../../api/artifacts";
import { EmptyState } from "../../components/States";
import { RelativeTime } from "../../components/RelativeTime";
import { useDebounced } from "../../hooks/useDebounced";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { formatBytes } from "../../lib/format";
import { aliasPairs } from "./aliases";
import { CatalogBody, FilterSelect } from "./CatalogList";
import { useCatalogPage } from "./catalogPage";
import { artifactHref, versionHref } from "./links";
import { decodeArtifactsList, encodeArtifactsList } from "./urlState";
import "./artifacts.css";

const COMMON_TYPES = ["dataset", "model", "code"];

/** Every artifact, newest change first; filtered by project, type and part of the name. */
export default function ArtifactsPage() {
  const { t } = useI18n();
  const [state, update] = useUrlState(decodeArtifactsList, encodeArtifactsList);
  // The box writes the URL as one types (replacing the entry); the request waits for a pause.
  const search = useDebounced(state.search, 250);

  const { list: page, total, projectNames } = useCatalogPage(
    `artifacts:${state.project ?? ""}:${state.type ?? ""}:${search}`,
    state.page,
    state.project,
    (range, signal) => artifactsApi.list({ project: state.project, type: state.type, name: search, ...range }, signal),
  );
  const types = useMemo(() => {
    const names = new Set(COMMON_TYPES);
    for (const item of page.data?.items ?? []) names.add(item.type);
    if (state.type) names.add(state.type);
    return [...names].sort();
  }, [page.data, state.type]);

  const filtered = Boolean(state.project || state.type || state.search);

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
        <FilterSelect
          value={state.project}
          names={projectNames}
          allLabel={t("artifacts.allProjects")}
          label={t("artifacts.project")}
          onChange={(project) => update({ project, page: 1 })}
          testId="artifacts-project"
        />
        <FilterSelect
          value={state.type}
          names={types}
          allLabel={t("artifacts.allTypes")}
          label={t("artifacts.type")}
          onChange={(type) => update({ type, page: 1 })}
          testId="artifacts-type"
        />
      </div>
      <CatalogBody
        list={page}
        page={state.page}
        onPage={(p) => update({ page: p }, { push: true })}
        testIdPrefix="artifacts"
        empty={
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
        }
        columns={[
          { label: t("artifacts.name") },
          { label: t("artifacts.type") },
          { label: t("artifacts.project") },
          { label: t("artifacts.latest") },
          { label: t("artifacts.versions"), numeric: true },
          { label: t("artifacts.aliases") },
          { label: t("artifacts.size"), numeric: true },
          { label: t("artifacts.updated") },
        ]}
        tableClassName="kv-table artifacts-table"
        row={(item) => (
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
        )}
      />
    </div>
  );
}
