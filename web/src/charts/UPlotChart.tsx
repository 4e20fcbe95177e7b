import { useLayoutEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { roundZoom } from "../lib/urlState";
import { registerChart, unregisterChart } from "./registry";

export type ChartOptions = Omit<uPlot.Options, "width" | "height">;

export interface UPlotChartProps {
  /** Key in `window.__runicornCharts` and the container's `data-chart-key`. */
  chartKey: string;
  testId?: string;
  /** Rebuilding options recreates the chart; keep them memoized. */
  options: ChartOptions;
  data: uPlot.AlignedData;
  height: number;
  /** A drag selected [min, max] on x; null on double-click (reset). */
  onZoom?: (range: [number, number] | null) => void;
  /** The true number of points in range (the server's `count`), exposed as `data-count`. */
  count?: number;
  downsampled?: boolean;
  className?: string;
}

/** Test hooks on the container: what uPlot is actually drawing right now. */
function exposeState(element: HTMLElement, data: uPlot.AlignedData): void {
  element.dataset.points = String(data[0]?.length ?? 0);
  element.dataset.series = String(Math.max(0, data.length - 1));
}

/**
 * One uPlot instance bound to a container: created on mount or when the options change, fed new
 * columns with setData (no re-creation) when only the data changes, resized with its container.
 */
export function UPlotChart({
  chartKey,
  testId,
  options,
  data,
  height,
  onZoom,
  count,
  downsampled,
  className,
}: UPlotChartProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  const onZoomRef = useRef(onZoom);

  // Before the effect below: a chart rebuilt with new options (one more series, say) must start
  // from the columns that match them.
  useLayoutEffect(() => {
    onZoomRef.current = onZoom;
    dataRef.current = data;
  });

  useLayoutEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const zoomPlugin: uPlot.Plugin = {
      hooks: {
        init: (u) => {
          u.over.addEventListener("dblclick", () => onZoomRef.current?.(null));
        },
        setSelect: (u) => {
          const { left, width } = u.select;
          if (width < 3 || !onZoomRef.current) return;
          const min = u.posToVal(left, "x");
          const max = u.posToVal(left + width, "x");
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          if (max > min) onZoomRef.current(roundZoom(min, max));
        },
      },
    };
    const chart = new uPlot(
      {
        ...options,
        width: Math.max(100, container.clientWidth),
        height,
        plugins: [...(options.plugins ?? []), zoomPlugin],
      },
      dataRef.current,
      container,
    );
    chartRef.current = chart;
    registerChart(chartKey, chart);
    exposeState(container, dataRef.current);

    const resize = new ResizeObserver(() => {
      const width = Math.max(100, container.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height: chart.height });
    });
    resize.observe(container);
    return () => {
      resize.disconnect();
      unregisterChart(chartKey, chart);
      chart.destroy();
      chartRef.current = null;
    };
  }, [options, chartKey, height]);

  useLayoutEffect(() => {
    const chart = chartRef.current;
    const container = containerRef.current;
    if (!chart || !container || chart.data === data) return;
    chart.setData(data);
    exposeState(container, data);
  }, [data]);

  return (
    <div
      ref={containerRef}
      className={className ? `uplot-host ${className}` : "uplot-host"}
      data-testid={testId}
      data-chart-key={chartKey}
      data-count={count}
      data-downsampled={downsampled ? "true" : "false"}
    />
  );
}
