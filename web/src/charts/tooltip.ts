import type uPlot from "uplot";

export interface TooltipRow {
  label: string;
  color: string;
  value: string;
  muted?: boolean;
}

export interface TooltipSource {
  title: (u: uPlot, idx: number) => string;
  rows: (u: uPlot, idx: number) => TooltipRow[];
}

/**
 * A tooltip that follows the cursor with the exact values at the hovered index. Only the chart
 * under the mouse shows it; charts whose cursor is synced show just the crosshair. Built with
 * textContent only: metric keys and run names are user data.
 */
export function tooltipPlugin(source: TooltipSource): uPlot.Plugin {
  let box: HTMLDivElement | null = null;
  let hovered = false;

  const render = (u: uPlot) => {
    if (!box || !hovered) return;
    const idx = u.cursor.idx;
    const left = u.cursor.left ?? -1;
    const top = u.cursor.top ?? -1;
    if (idx === null || idx === undefined || left < 0) {
      box.style.display = "none";
      return;
    }
    const rows = source.rows(u, idx);
    box.replaceChildren();
    const title = document.createElement("div");
    title.className = "tt-title";
    title.textContent = source.title(u, idx);
    box.append(title);
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = row.muted ? "tt-row tt-muted" : "tt-row";
      const swatch = document.createElement("span");
      swatch.className = "tt-swatch";
      swatch.style.background = row.color;
      const label = document.createElement("span");
      label.className = "tt-label";
      label.textContent = row.label;
      const value = document.createElement("span");
      value.className = "tt-value";
      value.textContent = row.value;
      line.append(swatch, label, value);
      box.append(line);
    }
    box.style.display = "block";
    const overWidth = u.over.clientWidth;
    const overHeight = u.over.clientHeight;
    const width = box.offsetWidth;
    const height = box.offsetHeight;
    const x = left + 14 + width > overWidth ? Math.max(0, left - width - 14) : left + 14;
    const y = Math.max(0, Math.min(top + 14, overHeight - height));
    box.style.transform = `translate(${x}px, ${y}px)`;
  };

  return {
    hooks: {
      init: (u) => {
        box = document.createElement("div");
        box.className = "chart-tooltip";
        box.dataset.testid = "chart-tooltip";
        box.style.display = "none";
        u.over.append(box);
        u.over.addEventListener("mouseenter", () => {
          hovered = true;
        });
        u.over.addEventListener("mouseleave", () => {
          hovered = false;
          if (box) box.style.display = "none";
        });
      },
      setCursor: render,
      destroy: () => {
        box = null;
      },
    },
  };
}
