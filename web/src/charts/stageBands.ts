/**
 * Faint vertical bands on a run's charts over the steps logged under each stage (train, val...),
 * with the stage's name at the top. A uPlot plugin keeps one element per band in the plot's
 * overlay, under the alert markers, and moves them on every redraw. Stage names are user data:
 * textContent only.
 */
import { createContext, useContext, useMemo } from "react";
import type uPlot from "uplot";
import "./stageBands.css";
import type { StageSpan } from "../api/stages";
import type { XMode } from "../api/types";
import { ChartOverlay, useChartOverlay } from "./overlay";
import type { ChartOptions } from "./UPlotChart";

export type { StageSpan } from "../api/stages";

/** The stage spans of the run whose charts are on the page (provided by the run page). */
export const ChartStagesContext = createContext<StageSpan[]>([]);

const STAGE_COLORS = 4;
const MIN_BAND_PX = 2;
const MIN_LABEL_PX = 28;

export interface StageBandRect {
  stage: string;
  left: number;
  width: number;
  /** Same stage, same colour on every chart: the order in which stages first appear. */
  colorIndex: number;
  showLabel: boolean;
  start: number;
  end: number;
}

/**
 * Where each span is drawn, in pixels: from half a step before its first step to half a step
 * after its last (so a one-step validation span is visible and neighbours touch), clipped to
 * the plot, and dropped when wholly outside it.
 */
export function stageBandRects(spans: readonly StageSpan[], toPixels: (step: number) => number, plotWidth: number): StageBandRect[] {
  const colors = new Map<string, number>();
  const rects: StageBandRect[] = [];
  for (const span of spans) {
    if (!colors.has(span.stage)) colors.set(span.stage, colors.size % STAGE_COLORS);
    const from = toPixels(span.start - 0.5);
    const to = toPixels(span.end + 0.5);
    if (!Number.isFinite(from) || !Number.isFinite(to)) continue;
    const left = Math.max(0, Math.min(from, to));
    const right = Math.min(plotWidth, Math.max(from, to));
    if (right <= 0 || left >= plotWidth || right <= left) continue;
    const width = Math.max(MIN_BAND_PX, right - left);
    rects.push({
      stage: span.stage, left, width, colorIndex: colors.get(span.stage) ?? 0,
      showLabel: width >= MIN_LABEL_PX, start: span.start, end: span.end,
    });
  }
  return rects;
}

function renderStageBands(u: uPlot, layer: HTMLDivElement, spans: readonly StageSpan[]): void {
  const rects = stageBandRects(spans, (step) => u.valToPos(step, "x"), u.over.clientWidth);
  for (const rect of rects) {
    const band = document.createElement("div");
    band.className = `stage-band stage-${rect.colorIndex}`;
    band.style.left = `${rect.left}px`;
    band.style.width = `${rect.width}px`;
    band.dataset.testid = "stage-band";
    band.dataset.stage = rect.stage;
    band.title = `${rect.stage}: ${rect.start}–${rect.end}`;
    if (rect.showLabel) {
      const label = document.createElement("span");
      label.className = "stage-band-label";
      label.textContent = rect.stage;
      band.append(label);
    }
    layer.append(band);
  }
}

/** `options` with the run's stage bands added (on the step axis only). */
export function useStageBands(options: ChartOptions, x: XMode): ChartOptions {
  const spans = useContext(ChartStagesContext);
  const shown = useMemo(() => (x === "step" ? spans : []), [spans, x]);
  return useChartOverlay(options, shown, () => new ChartOverlay("stage-bands", renderStageBands, true));
}
