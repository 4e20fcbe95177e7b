import { useEffect, useMemo } from "react";
import { api } from "../../../api/client";
import type { FieldsResponse, RunItem } from "../../../api/types";
import { ErrorState, LoadingState } from "../../../components/States";
import { useAsync } from "../../../hooks/useAsync";
import { usePreference } from "../../../hooks/usePreference";
import { useI18n } from "../../../i18n/context";
import { ColumnPicker } from "../ColumnPicker";
import { columnSpecs, metricColumnId } from "../fields";
import { ParallelCoordinates } from "./ParallelCoordinates";
import { ScatterPlot } from "./ScatterPlot";
import { brushMask, buildAxis, rampColor, type Brush, type SweepAxis } from "./sweepMath";
import "./sweep.css";

/** The most runs one sweep view loads (the API's page is 1,000). */
export const MAX_SWEEP_RUNS = 5000;
const PAGE = 1000;
const DEFAULT_AXES = 7;

export type SweepMode = "parallel" | "scatter";

/** Every run matching `filter`, page after page up to MAX_SWEEP_RUNS, with the time they arrived. */
async function loadSweepRuns(filter: string, signal: AbortSignal): Promise<{ runs: RunItem[]; total: number; at: number }> {
  const runs: RunItem[] = [];
  let total: number;
  do {
    const page = await api.experiments({ filter: filter || undefined, sort: "created_at", limit: PAGE, offset: runs.length }, signal);
    total = page.total;
    runs.push(...page.items);
    if (page.items.length === 0) break;
  } while (runs.length < Math.min(total, MAX_SWEEP_RUNS));
  return { runs, total, at: performance.now() };
}

/** Config fields first, then the metric to colour by: a validation metric when there is one. */
function defaultAxes(fields: FieldsResponse | undefined): string[] {
  if (!fields) return [];
  const config = fields.config.slice(0, DEFAULT_AXES).map((f) => f.field);
  const metric = fields.metrics.find((m) => m.key.startsWith("val")) ?? fields.metrics.at(0);
  const summary = fields.summary.at(0);
  const target = metric ? metricColumnId(metric.field, "metrics.last") : summary?.field;
  return target ? [...config, target] : config;
}

export interface SweepPanelProps {
  fields: FieldsResponse | undefined;
  /** The v2 filter of the runs to show (the page's filter without the brushes). */
  filter: string;
  mode: SweepMode;
  onMode: (mode: SweepMode) => void;
  brushes: readonly Brush[];
  onBrushes: (brushes: Brush[]) => void;
  onOpen: (runId: string) => void;
  /** Bumped by the page to reload (after a refresh). */
  version?: number;
  /** Told the brushed runs' ids after each change of brushes (null: no brush). */
  onSelection?: (ids: string[] | null) => void;
}

/**
 * How hyperparameters drive a metric across a sweep: parallel coordinates (brushable; the
 * brushes filter the runs table) and a scatter of any field against any field.
 */
export function SweepPanel({ fields, filter, mode, onMode, brushes, onBrushes, onOpen, version = 0, onSelection }: SweepPanelProps) {
  const { t } = useI18n();
  const data = useAsync(`sweep:${version}:${filter}`, (signal) => loadSweepRuns(filter, signal));
  const specs = useMemo(() => columnSpecs(fields), [fields]);
  const [savedAxes, setAxes] = usePreference<string[]>("sweep.axes", []);
  const [savedColor, setColor] = usePreference<string>("sweep.color", "");
  const [savedScatter, setScatter] = usePreference<string[]>("sweep.scatter", []);

  const axisIds = useMemo(() => {
    const chosen = savedAxes.filter((id) => specs.has(id));
    return chosen.length ? chosen : defaultAxes(fields).filter((id) => specs.has(id));
  }, [savedAxes, specs, fields]);
  const colorId = specs.has(savedColor) ? savedColor : axisIds[axisIds.length - 1] ?? "";
  const scatterX = specs.has(savedScatter[0] ?? "") ? savedScatter[0] : axisIds[0] ?? "";
  const scatterY = specs.has(savedScatter[1] ?? "") ? savedScatter[1] : colorId;

  const runs = data.data?.runs;
  const needed = useMemo(
    () => [...new Set([...axisIds, colorId, scatterX, scatterY, ...brushes.map((b) => b.field)])],
    [axisIds, colorId, scatterX, scatterY, brushes],
  );
  const built = useMemo(() => {
    const out = new Map<string, SweepAxis>();
    if (!runs) return out;
    for (const id of needed) {
      const spec = specs.get(id);
      if (spec) out.set(id, buildAxis(runs, spec));
    }
    return out;
  }, [needed, runs, specs]);
  const axes = useMemo(() => axisIds.flatMap((id) => built.get(id) ?? []), [axisIds, built]);
  const colorAxis = built.get(colorId) ?? null;
  const xAxis = built.get(scatterX) ?? null;
  const yAxis = built.get(scatterY) ?? null;
  const brushAxes = useMemo(() => [...built.values()], [built]);
  const mask = useMemo(() => brushMask(brushAxes, brushes, runs?.length ?? 0), [brushAxes, brushes, runs]);
  const selected = useMemo(() => mask.reduce((sum, v) => sum + v, 0), [mask]);
  const runIds = useMemo(() => runs?.map((r) => r.id) ?? [], [runs]);
  useEffect(() => {
    if (!onSelection || !runs) return;
    onSelection(brushes.length ? runIds.filter((_, i) => mask[i]) : null);
  }, [onSelection, runs, runIds, mask, brushes.length]);
  const scatterRuns = useMemo(() => runs?.map((r) => ({ id: r.id, name: r.name, project: r.project })) ?? [], [runs]);

  const fieldOptions = [...specs.values()].map((spec) => (
    <option key={spec.id} value={spec.id}>
      {spec.kind === "config" || spec.kind === "summary" ? `${spec.kind}: ${spec.label}` : `${spec.label} (${spec.kind.slice(8)})`}
    </option>
  ));

  const body = () => {
    if (data.error && !runs) return <ErrorState error={data.error} onRetry={data.reload} testId="sweep-error" />;
    if (!runs || !fields) return <LoadingState testId="sweep-loading" />;
    if (runs.length === 0 || axes.length === 0) return <div className="muted sweep-empty" data-testid="sweep-empty">{t("sweep.empty")}</div>;
    if (mode === "scatter") {
      if (!xAxis || !yAxis) return <div className="muted sweep-empty">{t("sweep.empty")}</div>;
      return <ScatterPlot runs={scatterRuns} xAxis={xAxis} yAxis={yAxis} colorAxis={colorAxis} mask={mask} onOpen={onOpen} dataAt={data.data?.at ?? 0} />;
    }
    return (
      <ParallelCoordinates runIds={runIds} axes={axes} colorAxis={colorAxis} brushes={brushes} onBrushes={onBrushes} dataAt={data.data?.at ?? 0} />
    );
  };

  const total = data.data?.total ?? 0;
  return (
    <section className="sweep-panel" data-testid="sweep-panel" data-mode={mode}>
      <div className="sweep-toolbar">
        <div className="segmented" role="tablist">
          {(["parallel", "scatter"] as const).map((m) => (
            <button
              key={m}
              type="button"
              role="tab"
              aria-selected={mode === m}
              className={`btn btn-small${mode === m ? " active" : ""}`}
              onClick={() => onMode(m)}
              data-testid={`sweep-tab-${m}`}
            >
              {t(m === "parallel" ? "sweep.parallel" : "sweep.scatter")}
            </button>
          ))}
        </div>
        {mode === "parallel" ? (
          <ColumnPicker fields={fields} chosen={axisIds} onChange={setAxes} testId="sweep-axes" buttonLabel={t("sweep.axes")} />
        ) : (
          <>
            <label className="sweep-field">
              <span className="muted">x</span>
              <select className="input" value={scatterX} onChange={(e) => setScatter([e.target.value, scatterY])} data-testid="scatter-x">
                {fieldOptions}
              </select>
            </label>
            <label className="sweep-field">
              <span className="muted">y</span>
              <select className="input" value={scatterY} onChange={(e) => setScatter([scatterX, e.target.value])} data-testid="scatter-y">
                {fieldOptions}
              </select>
            </label>
          </>
        )}
        <label className="sweep-field">
          <span className="muted">{t("sweep.colorBy")}</span>
          <select className="input" value={colorId} onChange={(e) => setColor(e.target.value)} data-testid="sweep-color">
            {fieldOptions}
          </select>
        </label>
        {colorAxis && colorAxis.kind === "numeric" && (
          <span className="sweep-legend" data-testid="sweep-legend" title={colorAxis.field}>
            <span>{colorAxis.min.toPrecision(3)}</span>
            <span className="sweep-ramp" style={{ background: `linear-gradient(90deg, ${[0, 0.25, 0.5, 0.75, 1].map(rampColor).join(", ")})` }} />
            <span>{colorAxis.max.toPrecision(3)}</span>
          </span>
        )}
        <div className="spacer" />
        {runs && (
          <span className="muted small" data-testid="sweep-selection" data-count={selected} data-total={runs.length} title={t("sweep.brushHint")}>
            {brushes.length ? t("sweep.selected", { n: selected, total: runs.length }) : t("sweep.shown", { n: runs.length })}
            {total > runs.length ? ` · ${t("sweep.capped", { n: MAX_SWEEP_RUNS })}` : ""}
          </span>
        )}
        {brushes.length > 0 && (
          <button type="button" className="btn btn-small" onClick={() => onBrushes([])} data-testid="sweep-clear">
            {t("sweep.clear")}
          </button>
        )}
      </div>
      <div className="sweep-body">{body()}</div>
    </section>
  );
}
