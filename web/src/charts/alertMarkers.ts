/**
 * Vertical markers on a run's charts at the steps where alerts fired: one absolutely positioned
 * element per alert in a chart overlay (./overlay), moved on every redraw; hovering one shows
 * the alert. Built with textContent only: titles
 * are user data.
 */
import { createContext, useContext, useMemo } from "react";
import type uPlot from "uplot";
import "../styles/alerts.css";
import type { AlertItem, XMode } from "../api/types";
import { ChartOverlay, useChartOverlay } from "./overlay";
import type { ChartOptions } from "./UPlotChart";

/** The alerts of the run whose charts are on the page (provided by the run page). */
export const ChartAlertsContext = createContext<AlertItem[]>([]);

/** An alert's hover text: level, title, step and the rule's explanation. */
export function alertHoverText(alert: AlertItem): string {
  const step = alert.step !== null ? ` · step ${alert.step}` : "";
  const text = alert.text ? `\n${alert.text}` : "";
  return `[${alert.level}] ${alert.title}${step}${text}`;
}

/** The alerts a chart of `metricKey` marks: its own key's, and those of no key (run-wide). */
export function alertsForChart(alerts: AlertItem[], metricKey: string, x: XMode): AlertItem[] {
  if (x !== "step") return [];
  return alerts.filter((a) => a.step !== null && (a.key === null || a.key === metricKey));
}

function renderAlertMarkers(u: uPlot, layer: HTMLDivElement, alerts: readonly AlertItem[]): void {
  const width = u.over.clientWidth;
  for (const alert of alerts) {
    if (alert.step === null) continue;
    const left = u.valToPos(alert.step, "x");
    if (!Number.isFinite(left) || left < 0 || left > width) continue;
    const marker = document.createElement("div");
    marker.className = `alert-marker alert-${alert.level}`;
    marker.style.left = `${left}px`;
    marker.dataset.testid = "alert-marker";
    marker.dataset.step = String(alert.step);
    marker.dataset.level = alert.level;
    marker.title = alertHoverText(alert);
    marker.setAttribute("aria-label", alertHoverText(alert));
    layer.append(marker);
  }
}

/** `options` with the alert markers of `metricKey` added (on the step axis only). */
export function useAlertMarkers(options: ChartOptions, metricKey: string, x: XMode): ChartOptions {
  const alerts = useContext(ChartAlertsContext);
  const mine = useMemo(() => alertsForChart(alerts, metricKey, x), [alerts, metricKey, x]);
  return useChartOverlay(options, mine, () => new ChartOverlay("alert-markers", renderAlertMarkers));
}
