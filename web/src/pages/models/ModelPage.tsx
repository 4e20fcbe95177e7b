import { Fragment, useState } from "react";
import { Link, useParams } from "react-router";
import { artifactsApi, STAGES, type Stage, type TransitionResult } from "../../api/artifacts";
import { ApiError } from "../../api/client";
import { RelativeTime } from "../../components/RelativeTime";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { useI18n } from "../../i18n/context";
import { formatBytes, formatDateTime, formatValue } from "../../lib/format";
import { runHref } from "../../lib/urlState";
import { editableAliases } from "../artifacts/aliases";
import { artifactHref, versionHref } from "../artifacts/links";
import { StageBadge } from "../artifacts/StageBadge";
import { metricColumns, promoteTarget } from "./lifecycle";
import { TransitionForm } from "./TransitionForm";
import "../artifacts/artifacts.css";

interface Editing {
  version: number;
  target: Stage;
}

/** One registered model: its versions against the four stages, moves between them, the history. */
function ModelView({ project, name }: { project: string; name: string }) {
  const { t } = useI18n();
  const model = useAsync(`model:${project}/${name}`, (signal) => artifactsApi.model(project, name, signal));
  const history = useAsync(`model-history:${project}/${name}`, (signal) => artifactsApi.history(project, name, signal));
  const [editing, setEditing] = useState<Editing | null>(null);
  const [notice, setNotice] = useState<TransitionResult | null>(null);
  const data = model.data;

  if (!data) {
    if (model.error instanceof ApiError && model.error.status === 404) {
      return (
        <EmptyState
          testId="model-not-found"
          icon="?"
          title={t("models.notFound")}
          hint={<span className="mono">{`${project}/${name}`}</span>}
          action={
            <Link className="btn" to="/models">
              {t("models.back")}
            </Link>
          }
        />
      );
    }
    if (model.error) return <ErrorState error={model.error} onRetry={model.reload} testId="model-error" />;
    return <LoadingState testId="model-loading" />;
  }

  const metrics = metricColumns(data.items);
  const columns = 4 + metrics.length + STAGES.length;
  const done = (result: TransitionResult) => {
    setEditing(null);
    setNotice(result);
    model.reload();
    history.reload();
  };

  return (
    <div className="artifacts-page model-page" data-testid="model-page" data-production={data.production_version ?? ""}>
      <nav className="crumbs small">
        <Link to="/models">{t("models.title")}</Link>
        <span aria-hidden="true">/</span>
        <Link to={`/models?project=${encodeURIComponent(project)}`}>{project}</Link>
      </nav>
      <div className="artifacts-head">
        <h2 className="mono" data-testid="model-title">
          {name}
        </h2>
        <span className="muted small">
          {data.production_version !== null
            ? t("models.inProduction", { v: data.production_version })
            : t("models.noProduction")}
        </span>
        <div className="spacer" />
        <Link className="btn" to={artifactHref(project, name)}>
          {t("artifacts.allVersions")}
        </Link>
      </div>
      {notice && (
        <div className="notice" data-testid="transition-notice" role="status">
          <span>
            {notice.transitions.length === 0
              ? t("models.alreadyThere", { v: notice.version, stage: t(`stage.${notice.stage}`) })
              : notice.transitions
                  .map((tr) => t("models.moved", { v: tr.version, from: t(`stage.${tr.from}`), to: t(`stage.${tr.to}`) }))
                  .join(" · ")}
          </span>
          <div className="spacer" />
          <button type="button" className="btn-icon" onClick={() => setNotice(null)} aria-label={t("common.close")}>
            ×
          </button>
        </div>
      )}
      <div className="table-card">
        <table className="kv-table stage-matrix" data-testid="stage-matrix">
          <thead>
            <tr>
              <th>{t("artifacts.version")}</th>
              <th>{t("artifacts.aliases")}</th>
              {metrics.map((key) => (
                <th key={key} className="num mono">
                  {key}
                </th>
              ))}
              {STAGES.map((s) => (
                <th key={s} className="stage-col">
                  {t(`stage.${s}`)}
                </th>
              ))}
              <th>{t("artifacts.producer")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((v) => {
              const promote = promoteTarget(v.stage);
              const open = editing?.version === v.version;
              return (
                <Fragment key={v.version}>
                  <tr data-testid="model-version-row" data-version={v.version} data-stage={v.stage} className={open ? "editing" : undefined}>
                    <td>
                      <Link className="mono strong" to={versionHref(project, name, v.version)}>
                        v{v.version}
                      </Link>
                      <div className="muted small">
                        {formatBytes(v.size)} · <RelativeTime ts={v.created_at} />
                      </div>
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
                    {metrics.map((key) => (
                      <td key={key} className="num mono">
                        {formatValue(v.metadata[key])}
                      </td>
                    ))}
                    {STAGES.map((s) => (
                      <td key={s} className="stage-col" data-testid={`stage-cell-${s}`} data-current={v.stage === s ? "true" : "false"}>
                        {v.stage === s ? <StageBadge stage={s} /> : <span className="stage-dot" aria-hidden="true" />}
                      </td>
                    ))}
                    <td>
                      {v.created_by ? (
                        <Link className="mono small" to={runHref(v.created_by)}>
                          {v.created_by}
                        </Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      <div className="row gap-xs">
                        {promote && (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => setEditing({ version: v.version, target: promote })}
                            data-testid="promote"
                          >
                            {t("models.promoteTo", { stage: t(`stage.${promote}`) })}
                          </button>
                        )}
                        {v.stage !== "archived" && (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => setEditing({ version: v.version, target: "archived" })}
                            data-testid="archive"
                          >
                            {t("models.archive")}
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                  {open && (
                    <tr className="transition-row">
                      <td colSpan={columns}>
                        <TransitionForm
                          key={`${v.version}:${editing.target}`}
                          project={project}
                          name={name}
                          version={v.version}
                          current={v.stage}
                          initial={editing.target}
                          productionVersion={data.production_version}
                          onDone={done}
                          onCancel={() => setEditing(null)}
                        />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>

      <h3 className="section-title">{t("models.history")}</h3>
      {history.error && !history.data ? (
        <ErrorState error={history.error} onRetry={history.reload} testId="history-error" />
      ) : !history.data ? (
        <LoadingState testId="history-loading" />
      ) : history.data.items.length === 0 ? (
        <div className="muted small" data-testid="history-empty">
          {t("models.noHistory")}
        </div>
      ) : (
        <ol className="history" data-testid="model-history" data-total={history.data.total}>
          {history.data.items.map((tr, i) => (
            <li key={`${tr.ts}-${tr.version}-${i}`} data-testid="history-row" data-version={tr.version} data-from={tr.from} data-to={tr.to}>
              <span className="muted small mono" title={formatDateTime(tr.ts)}>
                <RelativeTime ts={tr.ts} />
              </span>
              <Link className="mono strong" to={versionHref(project, name, tr.version)}>
                v{tr.version}
              </Link>
              <StageBadge stage={tr.from} />
              <span aria-hidden="true">→</span>
              <StageBadge stage={tr.to} />
              <span className="history-reason" data-testid="history-reason">
                {tr.reason || <span className="muted">{t("models.noReason")}</span>}
              </span>
              {tr.by && <span className="muted small">{t("models.by", { who: tr.by })}</span>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export default function ModelPage() {
  const { project, name } = useParams();
  if (!project || !name) return null;
  return <ModelView key={`${project}/${name}`} project={project} name={name} />;
}
