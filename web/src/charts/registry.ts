import type uPlot from "uplot";

declare global {
  interface Window {
    /** Every live uPlot instance by chart key, for browser tests and debugging. */
    __runicornCharts?: Record<string, uPlot>;
  }
}

export function registerChart(key: string, chart: uPlot): void {
  (window.__runicornCharts ??= {})[key] = chart;
}

export function unregisterChart(key: string, chart: uPlot): void {
  const charts = window.__runicornCharts;
  if (charts?.[key] === chart) Reflect.deleteProperty(charts, key);
}
