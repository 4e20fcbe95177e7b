import type { ColumnSizingState, Updater } from "@tanstack/react-table";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { useNavigate } from "react-router";
import { api, ApiError, errorMessage } from "../../api/client";
import type { RunItem, RunStatus } from "../../api/types";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { useAsync } from "../../hooks/useAsync";
import { usePolling } from "../../hooks/usePolling";
import { usePreference } from "../../hooks/usePreference";
import { useUrlState } from "../../hooks/useUrlState";
import { useI18n } from "../../i18n/context";
import { composeFilter, quoteValue } from "../../lib/filterSyntax";
import { colorAt } from "../../lib/palette";
import { runHref } from "../../lib/urlState";
import { ColumnPicker } from "./ColumnPicker";
import { baseColumns, fieldColumn, FIXED_COLUMNS } from "./columns";
import { columnSpecs, encodeSort, nextSort, parseSort, resolveColumn } from "./fields";
import { FilterBox } from "./FilterBox";
import { ProjectTree } from "./ProjectTree";
import { QuickFilters } from "./QuickFilters";
import { RunPages } from "./runPages";
import { RunsTable } from "./RunsTable";
import { SelectionBar } from "./SelectionBar";
import { loadAllRuns, tableCsv } from "./tableExport";
import { TransferControls } from "./TransferControls";
import { brushConditions, brushRunFilter, decodeBrushes, encodeBrushes } from "./sweep/sweepMath";
import { browserFilteredFetcher } from "./browserFilter";
import { decodeExperimentsPage, encodeExperimentsPage } from "./chartsPanelState";
import { SweepPanel } from "./sweep/SweepPanel";
import { Icon } from "../../components/Icon";

// The charts panel brings uPlot: loaded when opened, so the app's first bundle stays small.
const RunChartsPanel = lazy(() => import("./RunChartsPanel"));

const REFRESH_MS = 10_000;
/** Without a selection, the charts panel shows this many runs from the top of the table. */
const TOP_RUNS = 10;
const DEFAULT_SUMMARY_COLUMNS = 4;

interface Notice {
  text: string;
  undo?: () => void;
}

export function ExperimentsPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [state, update] = useUrlState(decodeExperimentsPage, encodeExperimentsPage);
  const bin = state.view === "bin";
  const projects = useAsync("projects", (signal) => api.projects(signal));
  const fields = useAsync("fields", (signal) => api.fields(signal));
  // Null until the user picks columns: until then the first summary fields are shown.
  const [savedColumnIds, setColumnIds] = usePreference<string[] | null>("experiments.columns", null);
  const [sizing, setSizing] = usePreference<Record<string, number>>("experiments.columnSizing", {});
  const [hiddenColumns, setHiddenColumns] = usePreference<string[]>("experiments.hiddenColumns", []);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const lastClicked = useRef<number | null>(null);

  const conditions = useMemo(() => {
    const list: string[] = [];
    if (state.project) list.push(`project = ${quoteValue(state.project)}`);
    if (state.project && state.name) list.push(`name = ${quoteValue(state.name)}`);
    if (state.status.length === 1) list.push(`status = ${state.status[0]}`);
    if (state.status.length > 1) list.push(`status in (${state.status.join(", ")})`);
    for (const tag of state.tags) list.push(`tag:${quoteValue(tag)}`);
    return list;
  }, [state.project, state.name, state.status, state.tags]);
  const brushes = useMemo(() => (state.sweep ? decodeBrushes(state.brush) : []), [state.sweep, state.brush]);
  // The sweep plots every run of the page's filter; its brushes narrow the table only.
  const sweepFilter = composeFilter(conditions, state.filter).expression;
  const { expression, userStart } = composeFilter([...conditions, ...brushConditions(brushes)], state.filter);
  const specs = useMemo(() => columnSpecs(fields.data), [fields.data]);
  // Brushes on list-valued axes cannot be said in the filter grammar: the browser applies them.
  const keepRun = useMemo(() => brushRunFilter(brushes, specs), [brushes, specs]);

  const pages = useMemo(
    () =>
      new RunPages(
        bin
          ? (offset, limit, signal) => api.recycleBin({ offset, limit }, signal)
          : keepRun
            ? browserFilteredFetcher(expression, state.sort, keepRun)
            : (offset, limit, signal) => api.experiments({ filter: expression || undefined, sort: state.sort, offset, limit }, signal),
      ),
    [bin, expression, state.sort, keepRun],
  );
  const snapshot = useSyncExternalStore(pages.subscribe, pages.getSnapshot);

  useEffect(() => {
    pages.ensure(0, 0);
    return () => pages.abort();
  }, [pages]);

  usePolling(() => {
    pages.refresh();
    projects.reload();
  }, REFRESH_MS);

  const error = snapshot.error;
  const filterError =
    error instanceof ApiError && error.status === 400 && error.position !== null
      ? { message: error.detail, position: Math.max(0, error.position - userStart) }
      : error instanceof ApiError && error.status === 400
        ? { message: error.detail, position: 0 }
        : null;

  const sortKeys = useMemo(() => parseSort(state.sort), [state.sort]);
  const selected = useMemo(() => new Set(state.selected), [state.selected]);
  const loaded = pages.loadedRows();
  const rows = pages.rows();
  const topRuns = useMemo(() => rows.slice(0, TOP_RUNS).filter((r): r is RunItem => r !== null), [rows]);
  // The charts colour a selected run as its swatch; the table's top runs by their place.
  const chartColorOf = useCallback((_id: string, index: number) => colorAt(index), []);
  const knownTags = useMemo(
    () => [...new Set([...(fields.data?.tags ?? []), ...loaded.flatMap((r) => r.tags)])].sort(),
    [fields.data, loaded],
  );

  const onTagClick = useCallback(
    (tag: string) => update((s) => ({ tags: s.tags.includes(tag) ? s.tags : [...s.tags, tag] })),
    [update],
  );
  const columnIds = useMemo(
    () => savedColumnIds ?? (fields.data?.summary ?? []).slice(0, DEFAULT_SUMMARY_COLUMNS).map((f) => f.field),
    [savedColumnIds, fields.data],
  );
  // A selected run's swatch has the colour the compare charts give it (its place in the selection).
  const colorOf = useCallback(
    (id: string) => {
      const index = state.selected.indexOf(id);
      return index < 0 ? null : colorAt(index);
    },
    [state.selected],
  );
  const builtInColumns = useMemo(
    () =>
      baseColumns({ t, onTagClick }, bin)
        .filter((c) => c.id && !FIXED_COLUMNS.includes(c.id))
        .map((c) => ({ id: c.id ?? "", label: typeof c.header === "string" ? c.header : (c.id ?? "") })),
    [t, onTagClick, bin],
  );
  const columns = useMemo(() => {
    const hidden = new Set(hiddenColumns);
    const base = baseColumns({ t, onTagClick, colorOf }, bin).filter((c) => !c.id || !hidden.has(c.id));
    if (bin) return base;
    const extra = columnIds.flatMap((id) => {
      const spec = resolveColumn(id, specs);
      return spec ? [fieldColumn(spec)] : [];
    });
    return [...base, ...extra];
  }, [t, onTagClick, colorOf, bin, columnIds, specs, hiddenColumns]);

  // Choices stored by an earlier version ("config:lr") become the server's field names.
  useEffect(() => {
    if (specs.size === 0 || savedColumnIds === null) return;
    const renamed = columnIds.map((id) => resolveColumn(id, specs)?.id ?? id);
    if (renamed.some((id, i) => id !== columnIds[i])) setColumnIds([...new Set(renamed)]);
  }, [specs, columnIds, savedColumnIds, setColumnIds]);

  const completions = useMemo(() => [...specs.keys()], [specs]);

  const setSelected = (ids: string[]) => update({ selected: ids });

  const onSelect = (run: RunItem, index: number, range: boolean) => {
    const next = new Set(selected);
    const from = lastClicked.current;
    if (range && from !== null) {
      const [lo, hi] = from < index ? [from, index] : [index, from];
      for (let i = lo; i <= hi; i++) {
        const row = pages.row(i);
        if (row) next.add(row.id);
      }
    } else if (next.has(run.id)) next.delete(run.id);
    else next.add(run.id);
    lastClicked.current = index;
    setSelected([...next]);
  };

  const onSelectAll = (select: boolean) => {
    const next = new Set(selected);
    for (const row of loaded) {
      if (select) next.add(row.id);
      else next.delete(row.id);
    }
    setSelected([...next]);
  };

  const onSizing = (updater: Updater<ColumnSizingState>) => {
    setSizing(typeof updater === "function" ? updater(sizing) : updater);
  };

  const selectedRuns = async (): Promise<RunItem[]> => {
    const byId = new Map(loaded.map((r) => [r.id, r]));
    return Promise.all(state.selected.map(async (id) => byId.get(id) ?? api.run(id)));
  };

  const act = async (work: () => Promise<string | Notice>, after: "refresh" | "reset") => {
    setBusy(true);
    try {
      const result = await work();
      setNotice(typeof result === "string" ? { text: result } : result);
      if (after === "reset") pages.reset();
      else pages.refresh();
      projects.reload();
    } catch (e) {
      setNotice({ text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const retag = (change: (tags: string[]) => string[]) =>
    act(async () => {
      const runs = await selectedRuns();
      await Promise.all(runs.map((r) => api.updateRun(r.id, { tags: change(r.tags) })));
      return t("notice.tagged", { n: runs.length });
    }, "refresh");

  const selectedLoaded = loaded.filter((r) => selected.has(r.id));
  const tagsOfSelection = [...new Set(selectedLoaded.flatMap((r) => r.tags))].sort();

  const hasFilter = expression !== "" || keepRun !== null;
  const total = snapshot.total;
  const title = state.project ? `${state.project}${state.name ? ` / ${state.name}` : ""}` : t("projects.all");

  const empty = filterError ? (
    <EmptyState testId="runs-filter-invalid" icon="!" title={t("runs.filterInvalid")} />
  ) : bin ? (
    <EmptyState testId="bin-empty" icon={<Icon name="trash" size={18} />} title={t("bin.empty")} hint={t("bin.emptyHint")} />
  ) : hasFilter ? (
    <EmptyState
      testId="runs-empty-filtered"
      title={t("runs.noMatch")}
      hint={t("runs.noMatchHint")}
      action={
        <button type="button" className="btn" onClick={() => update({ filter: "", status: [], tags: [], project: null, name: null, brush: "" })}>
          {t("runs.clearFilters")}
        </button>
      }
    />
  ) : (
    <EmptyState
      testId="runs-empty"
      icon={<Icon name="chart" size={18} />}
      title={t("runs.none")}
      hint={
        <>
          {t("runs.noneHint")}
          <pre className="code-sample">{`import runicorn as rn\nrun = rn.init(project="demo", name="first")\nfor step in range(100):\n    run.log({"loss": 1 / (step + 1)})\nrun.finish()`}</pre>
        </>
      }
    />
  );

  return (
    <div className="experiments-page" data-testid="experiments-page">
      <aside className="sidebar">
        <ProjectTree
          projects={projects.data?.items}
          inactive={bin}
          error={projects.error}
          project={state.project}
          name={state.name}
          onSelect={(project, name) => update({ project, name, view: "runs" }, { push: true })}
          onRetry={projects.reload}
        />
        <div className="sidebar-footer">
          <button
            type="button"
            className={`tree-item${bin ? " active" : ""}`}
            onClick={() => update({ view: bin ? "runs" : "bin", selected: [] }, { push: true })}
            data-testid="recycle-bin-toggle"
          >
            <Icon name="trash" />
            <span className="tree-label">{t("bin.title")}</span>
          </button>
        </div>
      </aside>
      <section className="experiments-main">
        <div className="page-header">
          <h1 data-testid="runs-title">{bin ? t("bin.title") : title}</h1>
          <span className="muted" data-testid="runs-count">
            {total === null ? "…" : t("runs.count", { n: total })}
          </span>
          <div className="spacer" />
          {bin ? (
            <>
              <button type="button" className="btn" onClick={() => update({ view: "runs", selected: [] }, { push: true })} data-testid="back-to-runs">
                ← {t("bin.back")}
              </button>
              <button
                type="button"
                className="btn btn-danger"
                disabled={busy || !total}
                data-testid="empty-bin"
                onClick={() => {
                  if (window.confirm(t("bin.emptyConfirm"))) {
                    void act(async () => t("notice.purged", { n: (await api.emptyRecycleBin()).purged.length }), "reset");
                  }
                }}
              >
                {t("bin.emptyButton")}
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                className={`btn${state.charts ? " active" : ""}`}
                aria-pressed={state.charts}
                onClick={() => update({ charts: !state.charts })}
                data-testid="charts-toggle"
              >
                {t("experiments.charts")}
              </button>
              <button
                type="button"
                className={`btn${state.sweep ? " active" : ""}`}
                aria-pressed={state.sweep !== ""}
                onClick={() => update({ sweep: state.sweep ? "" : "parallel", brush: "" })}
                data-testid="sweep-toggle"
              >
                {t("sweep.toggle")}
              </button>
              <TransferControls
                tableCsv={async () => {
                  const shown = columns
                    .filter((c) => c.id && c.id !== "select")
                    .map((c) => ({ id: c.id ?? "", header: typeof c.header === "string" ? c.header : (c.id ?? "") }));
                  const runs = await loadAllRuns(expression, state.sort);
                  return tableCsv(shown, specs, keepRun ? runs.filter(keepRun) : runs);
                }}
                selectedIds={state.selected}
                onNotice={(text) => setNotice({ text })}
                onImported={() => {
                  pages.refresh();
                  projects.reload();
                  fields.reload();
                }}
              />
              <ColumnPicker
                fields={fields.data}
                chosen={columnIds}
                onChange={setColumnIds}
                builtIn={builtInColumns}
                hidden={hiddenColumns}
                onHiddenChange={setHiddenColumns}
              />
            </>
          )}
          <button type="button" className="btn-icon" title={t("common.refresh")} aria-label={t("common.refresh")} onClick={() => pages.refresh()} data-testid="refresh-runs">
            <Icon name="refresh" />
          </button>
        </div>
        {!bin && (
          <div className="toolbar-stack">
            <FilterBox value={state.filter} onSubmit={(filter) => update({ filter })} serverError={filterError} fields={completions} />
            <QuickFilters
              status={state.status}
              tags={state.tags}
              knownTags={knownTags}
              onStatus={(status: RunStatus[]) => update({ status })}
              onTags={(tags) => update({ tags })}
            />
          </div>
        )}
        {!bin && state.sweep && (
          <SweepPanel
            fields={fields.data}
            filter={sweepFilter}
            mode={state.sweep}
            onMode={(sweep) => update({ sweep })}
            brushes={brushes}
            onBrushes={(next) => update({ brush: encodeBrushes(next) })}
            onOpen={(id) => void navigate(runHref(id))}
          />
        )}
        {!bin && state.charts && (
          <Suspense fallback={<LoadingState testId="experiment-charts-loading" />}>
            <RunChartsPanel
              selected={state.selected}
              topRuns={topRuns}
              colorOf={chartColorOf}
              groupBy={state.groupBy}
              band={state.band}
              onGroupBy={(groupBy) => update({ groupBy })}
              onBand={(band) => update({ band })}
            />
          </Suspense>
        )}
        <SelectionBar
          count={state.selected.length}
          ids={state.selected}
          bin={bin}
          busy={busy}
          tagsOfSelection={tagsOfSelection}
          onClear={() => setSelected([])}
          onAddTag={(tag) => void retag((tags) => (tags.includes(tag) ? tags : [...tags, tag]))}
          onRemoveTag={(tag) => void retag((tags) => tags.filter((x) => x !== tag))}
          onDelete={() =>
            void act(async () => {
              const ids = state.selected;
              const { deleted } = await api.deleteRuns(ids);
              setSelected([]);
              return {
                text: t("notice.deleted", { n: deleted.length }),
                undo: () => void act(async () => t("notice.restored", { n: (await api.restoreRuns(deleted)).restored.length }), "reset"),
              };
            }, "reset")
          }
          onRestore={() =>
            void act(async () => {
              const { restored } = await api.restoreRuns(state.selected);
              setSelected([]);
              return t("notice.restored", { n: restored.length });
            }, "reset")
          }
          onPurge={() =>
            void act(async () => {
              const results = await Promise.all(state.selected.map((id) => api.purgeRun(id)));
              setSelected([]);
              return t("notice.purged", { n: results.length });
            }, "reset")
          }
        />
        {notice && (
          <div className="notice" role="status" data-testid="notice">
            <span>{notice.text}</span>
            {notice.undo && (
              <button
                type="button"
                className="link"
                data-testid="notice-undo"
                onClick={() => {
                  notice.undo?.();
                  setNotice(null);
                }}
              >
                {t("common.undo")}
              </button>
            )}
            <button type="button" className="btn-icon" aria-label={t("common.close")} onClick={() => setNotice(null)}>
              ×
            </button>
          </div>
        )}
        {error && !filterError && total === null ? (
          <ErrorState error={error} onRetry={() => pages.reset()} testId="runs-error" />
        ) : total === null && !filterError ? (
          <LoadingState testId="runs-loading" />
        ) : (
          <RunsTable
            pages={pages}
            total={total ?? 0}
            columns={columns}
            sort={bin ? [] : sortKeys}
            onSort={bin ? undefined : (field, additive) => update({ sort: encodeSort(nextSort(sortKeys, field, additive)) || "-created_at" })}
            selected={selected}
            onSelect={onSelect}
            onSelectAll={onSelectAll}
            onOpen={(run) => void navigate(runHref(run.id))}
            columnSizing={sizing}
            onColumnSizingChange={onSizing}
            empty={empty}
          />
        )}
      </section>
    </div>
  );
}
