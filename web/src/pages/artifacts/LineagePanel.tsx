import { lazy, Suspense } from "react";
import { Link } from "react-router";
import type { LineageGraph } from "../../api/artifacts";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { useI18n } from "../../i18n/context";
import { nodeHref, nodeSubtitle, nodeTitle } from "./lineageNodes";
import { useLineagePlacement } from "./useLineagePlacement";
import { MAX_DEPTH } from "./urlState";

const Graph = lazy(() => import("./LineageGraph"));

/**
 * The lineage around a version or a run: a depth control, the graph (its code fetched on first
 * use), and the same nodes as a plain list of links for keyboards and screen readers.
 */
export function LineagePanel({
  cacheKey,
  depth,
  onDepthChange,
  load,
}: {
  cacheKey: string;
  depth: number;
  onDepthChange: (depth: number) => void;
  load: (depth: number, signal: AbortSignal) => Promise<LineageGraph>;
}) {
  const { t } = useI18n();
  const graph = useAsync(`${cacheKey}:${depth}`, (signal) => load(depth, signal));
  const data = graph.data;
  const layout = useLineagePlacement(data ?? null);
  const tooLarge = layout.status === "too-large";
  return (
    <div className="lineage-panel" data-testid="lineage-panel">
      <div className="lineage-toolbar">
        <label className="row gap-s small">
          <span className="muted">{t("lineage.depth")}</span>
          <input
            type="number"
            className="input num-input"
            min={0}
            max={MAX_DEPTH}
            value={depth}
            onChange={(e) => {
              const n = Number(e.target.value);
              if (Number.isInteger(n)) onDepthChange(Math.min(MAX_DEPTH, Math.max(0, n)));
            }}
            data-testid="lineage-depth"
          />
        </label>
        {data && (
          <span className="muted small" data-testid="lineage-count">
            {t("lineage.count", { n: data.nodes.length, e: data.edges.length })}
          </span>
        )}
        {data?.truncated && <span className="chip chip-small chip-warn">{t("lineage.truncated")}</span>}
        <div className="spacer" />
        <span className="lineage-legend small muted">
          <span className="legend-swatch lineage-node-run" /> {t("lineage.run")}
          <span className="legend-swatch lineage-type-dataset" /> {t("lineage.dataset")}
          <span className="legend-swatch lineage-type-model" /> {t("lineage.model")}
          <span className="legend-swatch lineage-type-other" /> {t("lineage.other")}
        </span>
      </div>
      {graph.error && !data ? (
        <ErrorState error={graph.error} onRetry={graph.reload} testId="lineage-error" />
      ) : !data ? (
        <LoadingState testId="lineage-loading" />
      ) : data.nodes.length <= 1 ? (
        <EmptyState testId="lineage-empty" icon="○" title={t("lineage.empty")} hint={t("lineage.emptyHint")} />
      ) : (
        <>
          {layout.status === "ready" ? (
            <Suspense fallback={<LoadingState testId="lineage-loading" />}>
              <Graph graph={data} placement={layout.placement} />
            </Suspense>
          ) : layout.status === "running" ? (
            <LoadingState testId="lineage-layout" label={t("lineage.layingOut", { n: data.nodes.length })} />
          ) : layout.status === "failed" ? (
            <ErrorState error={new Error(layout.error)} testId="lineage-layout-error" />
          ) : (
            <div className="notice" data-testid="lineage-too-large" role="status">
              {t("lineage.tooLarge", { n: data.nodes.length })}
            </div>
          )}
          <details className="lineage-list" open={tooLarge || undefined}>
            <summary>{t("lineage.asList")}</summary>
            <ul>
              {data.nodes.map((node) => {
                const href = nodeHref(node);
                return (
                  <li key={node.id} className={node.id === data.root ? "lineage-list-root" : undefined}>
                    {href ? <Link to={href}>{nodeTitle(node)}</Link> : <span>{nodeTitle(node)}</span>}{" "}
                    <span className="muted small">{nodeSubtitle(node)}</span>
                  </li>
                );
              })}
            </ul>
          </details>
        </>
      )}
    </div>
  );
}
