import { useCallback, useEffect, useMemo, useRef } from "react";
import { formatCompact } from "../../../lib/format";
import { useTheme } from "../../../theme/context";
import { canvasColors, prepareCanvas, sweepHooks, useElementSize, type Size } from "./canvas";
import {
  axisTicks,
  brushMask,
  colorBuckets,
  denormalize,
  makeBrush,
  normalize,
  rampColor,
  type Brush,
  type SweepAxis,
} from "./sweepMath";

const PAD = { left: 56, right: 56, top: 40, bottom: 20 };
const BUCKETS = 24;
const GRAB_PX = 16;

export interface ParallelCoordinatesProps {
  runIds: readonly string[];
  axes: readonly SweepAxis[];
  colorAxis: SweepAxis | null;
  brushes: readonly Brush[];
  onBrushes: (brushes: Brush[]) => void;
  /** `performance.now()` when the runs arrived: the first draw reports its delay from it. */
  dataAt: number;
}

interface Geometry {
  xs: number[];
  top: number;
  bottom: number;
}

function geometry(size: Size, count: number): Geometry {
  const inner = Math.max(1, size.width - PAD.left - PAD.right);
  const xs = Array.from({ length: count }, (_, i) => (count === 1 ? PAD.left + inner / 2 : PAD.left + (i * inner) / (count - 1)));
  return { xs, top: PAD.top, bottom: Math.max(PAD.top + 1, size.height - PAD.bottom) };
}

/** Adds run `i`'s polyline to the current path, lifting the pen over missing values. */
function tracePath(
  context: CanvasRenderingContext2D,
  positions: Float32Array,
  runs: number,
  i: number,
  xs: readonly number[],
  bottom: number,
  height: number,
) {
  let pen = false;
  for (let a = 0; a < xs.length; a++) {
    const t = positions[a * runs + i];
    if (Number.isNaN(t)) {
      pen = false;
      continue;
    }
    const y = bottom - t * height;
    if (pen) context.lineTo(xs[a], y);
    else context.moveTo(xs[a], y);
    pen = true;
  }
}

function tickLabel(axis: SweepAxis, value: number): string {
  if (axis.kind === "category") {
    const name = axis.categories[value] ?? "";
    return name.length > 12 ? `${name.slice(0, 11)}…` : name;
  }
  return formatCompact(value);
}

/**
 * One polyline per run across the chosen axes, drawn on a canvas (one path per colour, so 1,000
 * runs draw in a few milliseconds). Dragging along an axis brushes an interval; a click on an
 * axis clears its brush. The brushes are committed when the pointer is released.
 */
export function ParallelCoordinates({ runIds, axes, colorAxis, brushes, onBrushes, dataAt }: ParallelCoordinatesProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const size = useElementSize(wrap);
  const { theme } = useTheme();
  const live = useRef<readonly Brush[]>(brushes);
  const drag = useRef<{ axis: number; startY: number; moved: boolean } | null>(null);
  const pending = useRef(0);
  const stats = useRef({ first: null as number | null, last: 0, frames: 0, dataAt });
  const runs = runIds.length;

  const geo = useMemo(() => geometry(size, axes.length), [size, axes.length]);
  const positions = useMemo(() => {
    const out = new Float32Array(axes.length * runs);
    axes.forEach((axis, a) => {
      for (let i = 0; i < runs; i++) out[a * runs + i] = normalize(axis, axis.values[i]);
    });
    return out;
  }, [axes, runs]);
  const buckets = useMemo(() => colorBuckets(colorAxis?.values ?? null, colorAxis, BUCKETS), [colorAxis]);
  // The theme's colours are read once per theme, not per frame.
  const colors = useMemo(() => canvasColors(theme), [theme]);

  // Every line faint, the axes and their ticks: painted once per layout into an offscreen
  // canvas, so a brushing frame only copies it and strokes the runs inside the brushes.
  const base = useMemo(() => {
    const layer = document.createElement("canvas");
    const context = size.width > 0 && size.height > 0 ? prepareCanvas(layer, size) : null;
    if (!context) return layer;
    const { xs, top, bottom } = geo;
    const height = bottom - top;
    context.lineWidth = 1;
    context.globalAlpha = theme === "dark" ? 0.22 : 0.16;
    context.strokeStyle = colors.faint;
    context.beginPath();
    for (let i = 0; i < runs; i++) tracePath(context, positions, runs, i, xs, bottom, height);
    context.stroke();
    context.globalAlpha = 1;
    context.font = "11px system-ui, sans-serif";
    context.textBaseline = "middle";
    context.strokeStyle = colors.border;
    context.fillStyle = colors.muted;
    axes.forEach((axis, a) => {
      const x = xs[a];
      context.beginPath();
      context.moveTo(x, top);
      context.lineTo(x, bottom);
      context.stroke();
      context.textAlign = a === xs.length - 1 && xs.length > 1 ? "left" : "right";
      const offset = context.textAlign === "left" ? 6 : -6;
      for (const tick of axisTicks(axis, 5)) {
        const t = normalize(axis, tick);
        if (!Number.isFinite(t)) continue;
        const y = bottom - t * height;
        context.fillText(tickLabel(axis, tick), x + offset, y);
        context.beginPath();
        context.moveTo(x - 3, y);
        context.lineTo(x + 3, y);
        context.stroke();
      }
    });
    return layer;
  }, [size, geo, axes, runs, positions, colors, theme]);

  const draw = useCallback(() => {
    const element = canvas.current;
    if (!element || size.width === 0 || size.height === 0) return;
    const started = performance.now();
    const context = prepareCanvas(element, size);
    if (!context) return;
    const { xs, top, bottom } = geo;
    const height = bottom - top;
    context.drawImage(base, 0, 0, size.width, size.height);
    const mask = brushMask(axes, live.current, runs);
    let selected = 0;
    for (let i = 0; i < runs; i++) selected += mask[i];
    // Hairlines (width 1) take the rasterizer's fast path; wider strokes cost 10x more.
    context.lineWidth = 1;
    context.globalAlpha = 0.8;
    for (let b = -1; b < BUCKETS; b++) {
      context.strokeStyle = colorAxis ? rampColor(b < 0 ? NaN : (b + 0.5) / BUCKETS) : colors.accent;
      context.beginPath();
      for (let i = 0; i < runs; i++) {
        if (mask[i] && (!colorAxis || buckets[i] === b)) tracePath(context, positions, runs, i, xs, bottom, height);
      }
      context.stroke();
      if (!colorAxis) break;
    }
    context.globalAlpha = 1;
    axes.forEach((axis, a) => {
      const brush = live.current.find((b) => b.field === axis.field);
      if (!brush) return;
      const x = xs[a];
      const y0 = bottom - Math.max(0, Math.min(1, normalize(axis, brush.lo) || 0)) * height;
      const y1 = bottom - Math.max(0, Math.min(1, normalize(axis, brush.hi) || 0)) * height;
      context.fillStyle = colors.accent;
      context.globalAlpha = 0.25;
      context.fillRect(x - 7, Math.min(y0, y1), 14, Math.max(2, Math.abs(y1 - y0)));
      context.globalAlpha = 1;
      context.strokeStyle = colors.accent;
      context.strokeRect(x - 7, Math.min(y0, y1), 14, Math.max(2, Math.abs(y1 - y0)));
    });
    const elapsed = performance.now() - started;
    const s = stats.current;
    if (s.dataAt !== dataAt) Object.assign(s, { first: null, frames: 0, dataAt });
    s.frames++;
    s.last = elapsed;
    if (s.first === null && runs > 0) s.first = performance.now() - s.dataAt;
    if (wrap.current) {
      wrap.current.dataset.selected = String(selected);
      wrap.current.dataset.frames = String(s.frames);
    }
  }, [size, geo, axes, runs, positions, buckets, colorAxis, colors, base, dataAt]);

  useEffect(() => {
    live.current = brushes;
    draw();
  }, [brushes, draw]);

  useEffect(() => {
    const hooks = sweepHooks();
    hooks.parallel = {
      // Nothing until the canvas has been measured: positions before that are not where it draws.
      axes: () => {
        const rect = canvas.current?.getBoundingClientRect();
        if (!rect || size.width === 0) return [];
        return axes.map((axis, a) => ({
          field: axis.field,
          x: rect.left + geo.xs[a],
          top: rect.top + geo.top,
          bottom: rect.top + geo.bottom,
        }));
      },
      get firstDrawMs() {
        return stats.current.first;
      },
      get lastDrawMs() {
        return stats.current.last;
      },
      get frames() {
        return stats.current.frames;
      },
    };
    return () => {
      delete hooks.parallel;
    };
  }, [axes, geo, size.width]);

  const schedule = () => {
    if (pending.current) return;
    pending.current = requestAnimationFrame(() => {
      pending.current = 0;
      draw();
    });
  };
  useEffect(() => () => cancelAnimationFrame(pending.current), []);

  const pointer = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: Math.min(geo.bottom, Math.max(geo.top, event.clientY - rect.top)), rawY: event.clientY - rect.top };
  };
  const axisNear = (x: number): number => {
    let best = -1;
    let distance = GRAB_PX;
    geo.xs.forEach((ax, i) => {
      if (Math.abs(ax - x) <= distance) {
        distance = Math.abs(ax - x);
        best = i;
      }
    });
    return best;
  };
  const valueAt = (axis: SweepAxis, y: number) => denormalize(axis, (geo.bottom - y) / Math.max(1, geo.bottom - geo.top));

  const onPointerDown = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const { x, y, rawY } = pointer(event);
    const axis = axisNear(x);
    if (axis < 0 || rawY < geo.top - 16 || rawY > geo.bottom + 16) return;
    try {
      event.currentTarget.setPointerCapture(event.pointerId);
    } catch {
      // A pointer the browser does not track (a synthetic event) brushes without capture.
    }
    drag.current = { axis, startY: y, moved: false };
  };
  const onPointerMove = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const { x, y } = pointer(event);
    const state = drag.current;
    if (!state) {
      event.currentTarget.style.cursor = axisNear(x) >= 0 ? "ns-resize" : "default";
      return;
    }
    if (Math.abs(y - state.startY) > 2) state.moved = true;
    if (!state.moved) return;
    const axis = axes[state.axis];
    const brush = makeBrush(axis, valueAt(axis, state.startY), valueAt(axis, y));
    live.current = [...live.current.filter((b) => b.field !== axis.field), brush];
    schedule();
  };
  const onPointerUp = () => {
    const state = drag.current;
    drag.current = null;
    if (!state) return;
    const axis = axes[state.axis];
    if (!state.moved) live.current = live.current.filter((b) => b.field !== axis.field);
    onBrushes([...live.current]);
    schedule();
  };

  return (
    <div className="sweep-plot" ref={wrap} data-testid="sweep-parallel" data-runs={runs} data-axes={axes.length}>
      {/* Labels wait for the measured width: at width 0 they would all stack at the left edge. */}
      {size.width > 0 && axes.map((axis, a) => (
        <div
          key={axis.field}
          className="pc-axis-label"
          style={{ left: geo.xs[a], maxWidth: axes.length > 1 ? Math.max(60, (geo.xs[1] - geo.xs[0]) - 8) : 200 }}
          title={`${axis.label}\n${axis.field}${axis.log ? " (log)" : ""}`}
          data-testid="pc-axis"
          data-field={axis.field}
          data-brushed={brushes.some((b) => b.field === axis.field) ? "true" : "false"}
        >
          {axis.label}
        </div>
      ))}
      <canvas
        ref={canvas}
        style={{ width: size.width, height: size.height }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      />
    </div>
  );
}
