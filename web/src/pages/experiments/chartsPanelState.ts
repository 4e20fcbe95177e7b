/**
 * The experiments page's charts panel in the address bar, beside the table's own state:
 * `charts=1` opens it, `group` and `band` name the grouping as on the compare page, so a link
 * reproduces the same grouped charts.
 */
import { GROUP_BANDS, type GroupBand } from "../../lib/groupStats";
import { decodeExperiments, encodeExperiments, type ExperimentsState } from "../../lib/urlState";

export interface ChartsPanelState {
  charts: boolean;
  /** A config key, or `@status`, `@name`, `@tags`, `@project`; null draws one line per run. */
  groupBy: string | null;
  band: GroupBand;
}

export function decodeChartsPanel(params: URLSearchParams): ChartsPanelState {
  const band = params.get("band") ?? "";
  return {
    charts: params.get("charts") === "1",
    groupBy: params.get("group") || null,
    band: (GROUP_BANDS as readonly string[]).includes(band) ? (band as GroupBand) : "minmax",
  };
}

/** `params` with the panel's entries set (and the defaults left out). */
export function withChartsPanel(params: URLSearchParams, state: ChartsPanelState): URLSearchParams {
  for (const key of ["charts", "group", "band"]) params.delete(key);
  if (state.charts) params.set("charts", "1");
  if (state.groupBy) params.set("group", state.groupBy);
  if (state.groupBy && state.band !== "minmax") params.set("band", state.band);
  return params;
}

export type ExperimentsPageState = ExperimentsState & ChartsPanelState;

export function decodeExperimentsPage(params: URLSearchParams): ExperimentsPageState {
  return { ...decodeExperiments(params), ...decodeChartsPanel(params) };
}

export function encodeExperimentsPage(state: ExperimentsPageState): URLSearchParams {
  return withChartsPanel(encodeExperiments(state), state);
}
