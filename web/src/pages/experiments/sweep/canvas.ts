import { useEffect, useState, type RefObject } from "react";
import type { Theme } from "../../../theme/context";

export interface Size {
  width: number;
  height: number;
}

/** The element's CSS size, followed with a ResizeObserver. */
export function useElementSize(ref: RefObject<HTMLElement | null>): Size {
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      const rect = element.getBoundingClientRect();
      setSize((old) =>
        old.width === Math.round(rect.width) && old.height === Math.round(rect.height)
          ? old
          : { width: Math.round(rect.width), height: Math.round(rect.height) },
      );
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/**
 * A 2D context for a canvas of `size` CSS pixels, sharp on high-DPI screens: the backing store is
 * resized when needed and the transform set so drawing code works in CSS pixels.
 */
export function prepareCanvas(canvas: HTMLCanvasElement, size: Size): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(size.width * ratio));
  const height = Math.max(1, Math.round(size.height * ratio));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext("2d");
  if (!context) return null;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, size.width, size.height);
  return context;
}

/** Theme colours a canvas needs, read from the CSS variables of the current theme. */
export interface CanvasColors {
  text: string;
  muted: string;
  faint: string;
  border: string;
  accent: string;
  surface: string;
}

const LIGHT: CanvasColors = {
  text: "#1b2130",
  muted: "#5f6673",
  faint: "#8b919c",
  border: "#cbd0d9",
  accent: "#4e5fe6",
  surface: "#ffffff",
};

const DARK: CanvasColors = {
  text: "#e4e7ed",
  muted: "#9aa3b2",
  faint: "#6c7484",
  border: "#363c49",
  accent: "#7c8cff",
  surface: "#15181e",
};

/**
 * The theme's colours (base.css) as constants: the CSS variables cannot be read while drawing
 * because the theme's attribute is set in an effect that runs after a child canvas draws.
 */
export function canvasColors(theme: Theme): CanvasColors {
  return theme === "dark" ? DARK : LIGHT;
}

/** Registry of the sweep views for browser tests and the benchmark, like `__runicornCharts`. */
export interface SweepHooks {
  parallel?: {
    axes: () => { field: string; x: number; top: number; bottom: number }[];
    firstDrawMs: number | null;
    lastDrawMs: number;
    frames: number;
  };
  scatter?: {
    /** Page coordinates of a run's point, or null when it is not drawn. */
    pointOf: (runId: string) => { x: number; y: number } | null;
    firstDrawMs: number | null;
    lastDrawMs: number;
  };
}

declare global {
  interface Window {
    __runicornSweep?: SweepHooks;
  }
}

export function sweepHooks(): SweepHooks {
  window.__runicornSweep ??= {};
  return window.__runicornSweep;
}
