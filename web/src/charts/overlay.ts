/**
 * A layer of HTML elements over the plot area of every chart using a plugin, laid out again on
 * each redraw (zoom, resize, new data): the shared plumbing of alert markers and stage bands.
 */
import { useEffect, useMemo, useState } from "react";
import type uPlot from "uplot";
import type { ChartOptions } from "./UPlotChart";

/** Fills a chart's (emptied) layer with the elements for `items`. */
export type RenderOverlay<T> = (u: uPlot, layer: HTMLDivElement, items: readonly T[]) => void;

export class ChartOverlay<T> {
  private items: readonly T[] = [];
  private readonly charts = new Set<uPlot>();
  private readonly layers = new WeakMap<uPlot, HTMLDivElement>();
  private readonly render: RenderOverlay<T>;
  readonly plugin: uPlot.Plugin;

  /** `below`: under the other overlays (bands behind markers). */
  constructor(className: string, render: RenderOverlay<T>, below = false) {
    this.render = render;
    this.plugin = {
      hooks: {
        init: (u) => {
          const layer = document.createElement("div");
          layer.className = className;
          if (below) u.over.prepend(layer);
          else u.over.append(layer);
          this.layers.set(u, layer);
          this.charts.add(u);
        },
        draw: (u) => this.place(u),
        destroy: (u) => {
          this.charts.delete(u);
        },
      },
    };
  }

  set(items: readonly T[]): void {
    this.items = items;
    for (const chart of this.charts) this.place(chart);
  }

  private place(u: uPlot): void {
    const layer = this.layers.get(u);
    if (!layer) return;
    // Nothing to show and nothing shown: touch neither the DOM nor its layout (a render reads
    // the plot's size, which forces a layout on every chart draw of a run without alerts).
    if (this.items.length === 0 && !layer.firstChild) return;
    layer.replaceChildren();
    this.render(u, layer, this.items);
  }
}

/** `options` with an overlay of `items` added; one overlay for the component's lifetime. */
export function useChartOverlay<T>(
  options: ChartOptions,
  items: readonly T[],
  create: () => ChartOverlay<T>,
): ChartOptions {
  const [overlay] = useState(create);
  useEffect(() => overlay.set(items), [overlay, items]);
  return useMemo(() => ({ ...options, plugins: [...(options.plugins ?? []), overlay.plugin] }), [options, overlay]);
}
