import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { formatCompact, formatNumber } from "../../../lib/format";
import { useTheme } from "../../../theme/context";
import { canvasColors, prepareCanvas, sweepHooks, useElementSize } from "./canvas";
import { axisTicks, nearestPoint, normalize, rampColor, type SweepAxis } from "./sweepMath";

const PAD = { left: 64, right: 16, top: 12, bottom: 40 };
const RADIUS = 4;
const HOVER_PX = 10;

export interface ScatterRun {
  id: string;
  name: string;
  project: string;
}

export interface ScatterPlotProps {
  runs: readonly ScatterRun[];
  xAxis: SweepAxis;
  yAxis: SweepAxis;
  colorAxis: SweepAxis | null;
  /** 1 for runs inside the brushes (drawn in colour), 0 for the rest (drawn faint). */
  mask: Uint8Array;
  onOpen: (runId: string) => void;
  dataAt: number;
}

function valueText(axis: SweepAxis, value: number): string {
  if (!Number.isFinite(value)) return "—";
  return axis.kind === "category" ? (axis.categories[value] ?? "—") : formatNumber(value);
}

/**
 * Any field against any field, one dot per run, coloured by a third. Hovering names the run under
 * the pointer; a click opens it. Dots are drawn on a canvas, so 1,000 runs cost a few ms.
 */
export function ScatterPlot({ runs, xAxis, yAxis, colorAxis, mask, onOpen, dataAt }: ScatterPlotProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const size = useElementSize(wrap);
  const { theme } = useTheme();
  const [hover, setHover] = useState(-1);
  const stats = useRef({ first: null as number | null, last: 0, dataAt });
  const colors = useMemo(() => canvasColors(theme), [theme]);

  const n = runs.length;
  const plot = useMemo(
    () => ({
      left: PAD.left,
      top: PAD.top,
      width: Math.max(1, size.width - PAD.left - PAD.right),
      height: Math.max(1, size.height - PAD.top - PAD.bottom),
    }),
    [size],
  );
  const points = useMemo(() => {
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const tx = normalize(xAxis, xAxis.values[i]);
      const ty = normalize(yAxis, yAxis.values[i]);
      const drawn = Number.isFinite(tx) && Number.isFinite(ty);
      // Points that cannot be placed sit far outside, where hover and click never find them.
      xs[i] = drawn ? plot.left + tx * plot.width : -1e9;
      ys[i] = drawn ? plot.top + (1 - ty) * plot.height : -1e9;
    }
    return { xs, ys };
  }, [n, xAxis, yAxis, plot]);

  const draw = useCallback(() => {
    const element = canvas.current;
    if (!element || size.width === 0 || size.height === 0) return;
    const started = performance.now();
    const context = prepareCanvas(element, size);
    if (!context) return;
    const { left, top, width, height } = plot;
    context.font = "11px system-ui, sans-serif";
    context.strokeStyle = colors.border;
    context.fillStyle = colors.muted;
    context.lineWidth = 1;
    context.strokeRect(left, top, width, height);
    context.textAlign = "center";
    context.textBaseline = "top";
    for (const tick of axisTicks(xAxis, 6)) {
      const t = normalize(xAxis, tick);
      if (!Number.isFinite(t)) continue;
      const x = left + t * width;
      context.fillText(xAxis.kind === "category" ? (xAxis.categories[tick] ?? "") : formatCompact(tick), x, top + height + 5);
    }
    context.textAlign = "right";
    context.textBaseline = "middle";
    for (const tick of axisTicks(yAxis, 5)) {
      const t = normalize(yAxis, tick);
      if (!Number.isFinite(t)) continue;
      const y = top + (1 - t) * height;
      context.fillText(yAxis.kind === "category" ? (yAxis.categories[tick] ?? "") : formatCompact(tick), left - 6, y);
    }
    const { xs, ys } = points;
    context.globalAlpha = 0.35;
    context.fillStyle = colors.faint;
    context.beginPath();
    for (let i = 0; i < n; i++) {
      if (mask[i] || xs[i] < 0) continue;
      context.moveTo(xs[i] + RADIUS, ys[i]);
      context.arc(xs[i], ys[i], RADIUS, 0, Math.PI * 2);
    }
    context.fill();
    context.globalAlpha = 0.85;
    for (let i = 0; i < n; i++) {
      if (!mask[i] || xs[i] < 0) continue;
      context.fillStyle = colorAxis ? rampColor(normalize(colorAxis, colorAxis.values[i])) : colors.accent;
      context.beginPath();
      context.arc(xs[i], ys[i], RADIUS, 0, Math.PI * 2);
      context.fill();
    }
    context.globalAlpha = 1;
    if (hover >= 0 && xs[hover] >= 0) {
      context.strokeStyle = colors.text;
      context.lineWidth = 2;
      context.beginPath();
      context.arc(xs[hover], ys[hover], RADIUS + 3, 0, Math.PI * 2);
      context.stroke();
    }
    const s = stats.current;
    if (s.dataAt !== dataAt) Object.assign(s, { first: null, dataAt });
    s.last = performance.now() - started;
    if (s.first === null && n > 0) s.first = performance.now() - s.dataAt;
  }, [size, plot, points, n, mask, colorAxis, xAxis, yAxis, colors, hover, dataAt]);

  useEffect(draw, [draw]);

  useEffect(() => {
    const hooks = sweepHooks();
    hooks.scatter = {
      pointOf: (runId) => {
        const i = runs.findIndex((r) => r.id === runId);
        const rect = canvas.current?.getBoundingClientRect();
        // Nothing until the canvas has been measured: positions before that are not drawn.
        if (i < 0 || !rect || size.width === 0 || points.xs[i] < 0) return null;
        return { x: rect.left + points.xs[i], y: rect.top + points.ys[i] };
      },
      get firstDrawMs() {
        return stats.current.first;
      },
      get lastDrawMs() {
        return stats.current.last;
      },
    };
    return () => {
      delete hooks.scatter;
    };
  }, [runs, points, size.width]);

  const locate = (event: React.PointerEvent<HTMLCanvasElement> | React.MouseEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return nearestPoint(points.xs, points.ys, event.clientX - rect.left, event.clientY - rect.top, HOVER_PX);
  };

  const hovered = hover >= 0 ? runs[hover] : undefined;
  return (
    <div
      className="sweep-plot"
      ref={wrap}
      data-testid="sweep-scatter"
      data-runs={n}
      data-x-field={xAxis.field}
      data-y-field={yAxis.field}
    >
      <canvas
        ref={canvas}
        style={{ width: size.width, height: size.height, cursor: hover >= 0 ? "pointer" : "crosshair" }}
        onPointerMove={(e) => setHover(locate(e))}
        onPointerLeave={() => setHover(-1)}
        onClick={(e) => {
          const i = locate(e);
          if (i >= 0) onOpen(runs[i].id);
        }}
      />
      <div className="scatter-axis-label scatter-x-label" title={xAxis.field}>
        {xAxis.label}
        {xAxis.log ? " (log)" : ""}
      </div>
      <div className="scatter-axis-label scatter-y-label" title={yAxis.field}>
        {yAxis.label}
        {yAxis.log ? " (log)" : ""}
      </div>
      {hovered && (
        <div
          className="sweep-tooltip"
          data-testid="scatter-tooltip"
          data-run-id={hovered.id}
          style={{
            left: Math.min(points.xs[hover] + 12, Math.max(0, size.width - 220)),
            top: Math.max(0, points.ys[hover] - 12),
          }}
        >
          <div className="sweep-tooltip-name">{hovered.name || hovered.id}</div>
          <div className="muted mono">{hovered.id}</div>
          <div>
            <span className="muted">{xAxis.label}</span> {valueText(xAxis, xAxis.values[hover])}
          </div>
          <div>
            <span className="muted">{yAxis.label}</span> {valueText(yAxis, yAxis.values[hover])}
          </div>
          {colorAxis && (
            <div>
              <span className="muted">{colorAxis.label}</span> {valueText(colorAxis, colorAxis.values[hover])}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
