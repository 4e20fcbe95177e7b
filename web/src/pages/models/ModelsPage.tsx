import { Link } from "react-router";
import { artifactsApi, STAGES } from "../../api/artifacts";
import { RelativeTime } from "../../components/RelativeTime";
import { EmptyState } from "../../components/States";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { CatalogBody, FilterSelect } from "../artifacts/CatalogList";
import { useCatalogPage } from "../artifacts/catalogPage";
import { modelHref, versionHref } from "../artifacts/links";
import { StageBadge } from "../artifacts/StageBadge";
import { decodeModelsList, encodeModelsList } from "../artifacts/urlState";
import "../artifacts/artifacts.css";

/** Registered models (artifacts of type model): which version is in production, stage counts. */
export default function ModelsPage() {
  const { t } = useI18n();
  const [state, update] = useUrlState(decodeModelsList, encodeModelsList);
  const { list: models, total, projectNames } = useCatalogPage(
    `models:${state.project ?? ""}`,
    state.page,
    state.project,
    (range, signal) => artifactsApi.models({ project: state.project, ...range }, signal),
  );

  return (
    <div className="artifacts-page" data-testid="models-page">
      <div className="artifacts-head">
        <h2>{t("models.title")}</h2>
        {models.data && (
          <span className="count" data-testid="models-count" data-total={total}>
            {total}
          </span>
        )}
        <div className="spacer" />
        <FilterSelect
          value={state.project}
          names={projectNames}
          allLabel={t("artifacts.allProjects")}
          label={t("artifacts.project")}
          onChange={(project) => update({ project, page: 1 })}
          testId="models-project"
        />
      </div>
      <CatalogBody
        list={models}
        page={state.page}
        onPage={(p) => update({ page: p }, { push: true })}
        testIdPrefix="models"
        empty={
          <EmptyState
            testId="models-empty"
            title={t("models.none")}
            hint={
              <>
                {t("models.noneHint")}
                <pre className="code-sample">{`run.log_model("checkpoints/best.pt", "resnet18", aliases=["candidate"])`}</pre>
              </>
            }
          />
        }
        columns={[
          { label: t("models.model") },
          { label: t("artifacts.project") },
          { label: t("models.production") },
          { label: t("models.stages") },
          { label: t("artifacts.latest") },
          { label: t("artifacts.versions"), numeric: true },
          { label: t("artifacts.updated") },
        ]}
        row={(m) => (
          <tr key={`${m.project}/${m.name}`} data-testid="model-row" data-project={m.project} data-name={m.name}>
            <td>
              <Link className="strong" to={modelHref(m.project, m.name)} data-testid="model-link">
                {m.name}
              </Link>
              {m.description && <div className="muted small ellipsis">{m.description}</div>}
            </td>
            <td className="muted">{m.project}</td>
            <td data-testid="model-production" data-version={m.production_version ?? ""}>
              {m.production_version !== null ? (
                <Link className="mono" to={versionHref(m.project, m.name, m.production_version)}>
                  v{m.production_version}
                </Link>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td>
              <span className="tags">
                {STAGES.filter((s) => (m.stages[s] ?? 0) > 0).map((s) => (
                  <span key={s} className="stage-count">
                    <StageBadge stage={s} /> {m.stages[s]}
                  </span>
                ))}
              </span>
            </td>
            <td>
              <Link className="mono" to={versionHref(m.project, m.name, m.latest_version)}>
                v{m.latest_version}
              </Link>
            </td>
            <td className="num">{m.version_count}</td>
            <td className="muted">
              <RelativeTime ts={m.updated_at} />
            </td>
          </tr>
        )}
      />
    </div>
  );
}
