/**
 * Page state in the URL, so a link reproduces what its sender saw: the run and tab, the x axis,
 * the zoom range, smoothing, the selected runs, the filter. Defaults are left out of the URL.
 */
import { RUN_STATUSES, type RunStatus, type XMode } from "../api/types";
import { GROUP_BANDS, type GroupBand } from "./groupStats";

export type Zoom = [number, number] | null;

export function parseList(value: string | null): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseZoom(value: string | null): Zoom {
  if (!value) return null;
  const parts = value.split("..");
  if (parts.length !== 2) return null;
  const lo = Number(parts[0]);
  const hi = Number(parts[1]);
  if (parts[0] === "" || parts[1] === "" || !Number.isFinite(lo) || !Number.isFinite(hi) || lo >= hi) {
    return null;
  }
  return [lo, hi];
}

/**
 * A dragged range rounded outwards to about a thousandth of its width, so links read
 * `zoom=1500..2510` rather than `zoom=1506.44094488189..2509.4015748031497`.
 */
export function roundZoom(min: number, max: number): [number, number] {
  const width = max - min;
  if (!(width > 0) || !Number.isFinite(width)) return [min, max];
  const exponent = Math.floor(Math.log10(width / 1000));
  const step = 10 ** exponent;
  const digits = Math.max(0, -exponent);
  const lo = Number((Math.floor(min / step) * step).toFixed(digits));
  const hi = Number((Math.ceil(max / step) * step).toFixed(digits));
  return lo < hi ? [lo, hi] : [min, max];
}

export function encodeZoom(zoom: Zoom): string | null {
  return zoom ? `${zoom[0]}..${zoom[1]}` : null;
}

function parseSmoothing(value: string | null): number | null {
  if (value === null || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? Math.min(0.999, Math.max(0, n)) : null;
}

/** A running-average window in logged points; 0 (or anything below 2) means EMA smoothing. */
function parseWindow(value: string | null): number {
  const n = Number(value);
  return value && Number.isFinite(n) && n >= 2 ? Math.min(100_000, Math.floor(n)) : 0;
}

function build(entries: [string, string | null | undefined | false][]): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of entries) {
    if (value !== null && value !== undefined && value !== false && value !== "") params.set(key, value);
  }
  return params;
}

export interface ExperimentsState {
  project: string | null;
  name: string | null;
  filter: string;
  sort: string;
  status: RunStatus[];
  tags: string[];
  selected: string[];
  view: "runs" | "bin";
  /** The sweep panel shown above the table (none when empty). */
  sweep: "" | "parallel" | "scatter";
  /** The sweep's brushes as the panel encodes them (a JSON list). */
  brush: string;
}

export const DEFAULT_SORT = "-created_at";

export function decodeExperiments(params: URLSearchParams): ExperimentsState {
  return {
    project: params.get("project") || null,
    name: params.get("name") || null,
    filter: params.get("filter") ?? "",
    sort: params.get("sort") || DEFAULT_SORT,
    status: parseList(params.get("status")).filter((s): s is RunStatus =>
      (RUN_STATUSES as readonly string[]).includes(s),
    ),
    tags: params.getAll("tag").filter(Boolean),
    selected: parseList(params.get("sel")),
    view: params.get("view") === "bin" ? "bin" : "runs",
    sweep: params.get("sweep") === "parallel" || params.get("sweep") === "scatter" ? (params.get("sweep") as "parallel" | "scatter") : "",
    brush: params.get("brush") ?? "",
  };
}

export function encodeExperiments(state: ExperimentsState): URLSearchParams {
  const params = build([
    ["project", state.project],
    ["name", state.project ? state.name : null],
    ["filter", state.filter],
    ["sort", state.sort === DEFAULT_SORT ? null : state.sort],
    ["status", state.status.join(",")],
    ["sel", state.selected.join(",")],
    ["view", state.view === "bin" ? "bin" : null],
    ["sweep", state.sweep || null],
    ["brush", state.brush || null],
  ]);
  for (const tag of state.tags) params.append("tag", tag);
  return params;
}

export type RunTab = "charts" | "logs" | "config" | "environment" | "media" | "system" | "artifacts";
export const RUN_TABS: readonly RunTab[] = ["charts", "logs", "config", "environment", "media", "system", "artifacts"];

/** Chart settings shared by the run and compare pages. `smoothing` null means the saved default. */
export interface ChartState {
  x: XMode;
  smoothing: number | null;
  /** Running-average window (`avg` in the URL); 0 smooths by EMA at `smoothing`. */
  smoothWindow: number;
  logY: boolean;
  zoom: Zoom;
  search: string;
}

function decodeChart(params: URLSearchParams): ChartState {
  return {
    x: params.get("x") || "step",
    smoothing: parseSmoothing(params.get("smooth")),
    smoothWindow: parseWindow(params.get("avg")),
    logY: params.get("logy") === "1",
    zoom: parseZoom(params.get("zoom")),
    search: params.get("q") ?? "",
  };
}

function chartEntries(state: ChartState): [string, string | null][] {
  return [
    ["x", state.x === "step" ? null : state.x],
    ["smooth", state.smoothing === null ? null : String(state.smoothing)],
    ["avg", state.smoothWindow >= 2 ? String(state.smoothWindow) : null],
    ["logy", state.logY ? "1" : null],
    ["zoom", encodeZoom(state.zoom)],
    ["q", state.search],
  ];
}

export interface RunPageState extends ChartState {
  tab: RunTab;
  /** A named chart workspace of the run's project (`view`; absent = the project's default). */
  view: string | null;
}

export function decodeRun(params: URLSearchParams): RunPageState {
  const tab = params.get("tab") as RunTab | null;
  return { ...decodeChart(params), tab: tab && RUN_TABS.includes(tab) ? tab : "charts", view: params.get("view") || null };
}

export function encodeRun(state: RunPageState): URLSearchParams {
  return build([["tab", state.tab === "charts" ? null : state.tab], ...chartEntries(state), ["view", state.view]]);
}

export interface CompareState extends ChartState {
  runs: string[];
  hidden: string[];
  /** A config key, or `@status`, `@name`, `@tags`, `@project`. */
  groupBy: string | null;
  /** The groups' band (`band` in the URL; min–max when absent). */
  band: GroupBand;
  allMetrics: boolean;
  /** A named compare workspace (`view`; absent = the default). */
  view: string | null;
  /** The image key shown side by side (`media`), and the chosen step (`mstep`; null = the last). */
  mediaKey: string | null;
  mediaStep: number | null;
}

export function decodeCompare(params: URLSearchParams): CompareState {
  return {
    ...decodeChart(params),
    runs: [...new Set(parseList(params.get("runs")))],
    hidden: parseList(params.get("hidden")),
    groupBy: params.get("group") || null,
    band: (GROUP_BANDS as readonly string[]).includes(params.get("band") ?? "") ? (params.get("band") as GroupBand) : "minmax",
    allMetrics: params.get("all") === "1",
    view: params.get("view") || null,
    mediaKey: params.get("media") || null,
    mediaStep: parseStep(params.get("mstep")),
  };
}

function parseStep(value: string | null): number | null {
  const n = Number(value);
  return value && Number.isFinite(n) ? n : null;
}

export function encodeCompare(state: CompareState): URLSearchParams {
  return build([
    ["runs", state.runs.join(",")],
    ...chartEntries(state),
    ["hidden", state.hidden.join(",")],
    ["group", state.groupBy],
    ["band", state.groupBy && state.band !== "minmax" ? state.band : null],
    ["all", state.allMetrics ? "1" : null],
    ["view", state.view],
    ["media", state.mediaKey],
    ["mstep", state.mediaStep === null ? null : String(state.mediaStep)],
  ]);
}

/** The compare page's link for a set of runs. */
export function compareHref(ids: readonly string[]): string {
  return `/compare?${new URLSearchParams({ runs: ids.join(",") }).toString()}`;
}

export function runHref(id: string, tab?: RunTab): string {
  const path = `/runs/${encodeURIComponent(id)}`;
  return tab && tab !== "charts" ? `${path}?tab=${tab}` : path;
}
