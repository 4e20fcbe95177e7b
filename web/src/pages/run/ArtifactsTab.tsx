import { useState } from "react";
import { Link } from "react-router";
import { artifactsApi, type VersionRow } from "../../api/artifacts";
import type { RunDetail } from "../../api/types";
import { RelativeTime } from "../../components/RelativeTime";
import { ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { useI18n } from "../../i18n/context";
import { formatBytes } from "../../lib/format";
import { editableAliases } from "../artifacts/aliases";
import { LineagePanel } from "../artifacts/LineagePanel";
import { versionHref } from "../artifacts/links";
import { StageBadge } from "../artifacts/StageBadge";
import { DEFAULT_DEPTH } from "../artifacts/urlState";
import "../artifacts/artifacts.css";

function VersionsTable({ rows, direction }: { rows: VersionRow[]; direction: "used" | "produced" }) {
  const { t } = useI18n();
  if (rows.length === 0) {
    return (
      <div className="muted small kv-empty" data-testid={`run-artifacts-${direction}-empty`}>
        {direction === "used" ? t("runArtifacts.noneUsed") : t("runArtifacts.noneProduced")}
      </div>
    );
  }
  return (
    <table className="kv-table" data-testid={`run-artifacts-${direction}`}>
      <thead>
        <tr>
          <th>{t("artifacts.name")}</th>
          <th>{t("artifacts.type")}</th>
          <th>{t("artifacts.aliases")}</th>
          <th className="num">{t("artifacts.files")}</th>
          <th className="num">{t("artifacts.size")}</th>
          <th>{t("artifacts.created")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((v) => (
          <tr
            key={`${v.project}/${v.name}:${v.version}`}
            data-testid="run-artifact-row"
            data-direction={direction}
            data-name={v.name}
            data-version={v.version}
          >
            <td>
              <Link className="mono strong" to={versionHref(v.project, v.name, v.version)} data-testid="run-artifact-link">
                {v.name}:v{v.version}
              </Link>
              {v.project && <span className="muted small"> · {v.project}</span>}
            </td>
            <td>
              <span className={`type-badge type-${v.type}`}>{v.type}</span>
              {v.type === "model" && v.stage !== "none" && <StageBadge stage={v.stage} />}
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
            <td className="num">{v.file_count}</td>
            <td className="num">{formatBytes(v.size)}</td>
            <td className="muted">
              <RelativeTime ts={v.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The versions a run used and produced, and the lineage graph around the run. */
export function ArtifactsTab({ run }: { run: RunDetail }) {
  const { t } = useI18n();
  const [depth, setDepth] = useState(DEFAULT_DEPTH);
  const artifacts = useAsync(`run-artifacts:${run.id}`, (signal) => artifactsApi.runArtifacts(run.id, signal));
  const data = artifacts.data;
  if (!data) {
    if (artifacts.error) return <ErrorState error={artifacts.error} onRetry={artifacts.reload} testId="run-artifacts-error" />;
    return <LoadingState testId="run-artifacts-loading" />;
  }
  return (
    <div className="run-artifacts" data-testid="run-artifacts">
      <div className="run-artifacts-columns">
        <section className="card">
          <h3>{t("runArtifacts.used", { n: data.used.length })}</h3>
          <VersionsTable rows={data.used} direction="used" />
        </section>
        <section className="card">
          <h3>{t("runArtifacts.produced", { n: data.produced.length })}</h3>
          <VersionsTable rows={data.produced} direction="produced" />
        </section>
      </div>
      <section>
        <h3 className="section-title">{t("runArtifacts.lineage")}</h3>
        <LineagePanel
          cacheKey={`run-lineage:${run.id}`}
          depth={depth}
          onDepthChange={setDepth}
          load={(d, signal) => artifactsApi.runLineage(run.id, d, signal)}
        />
      </section>
    </div>
  );
}
