import type { XMode } from "../api/types";
import type { GroupBand } from "../lib/groupStats";
import type { Zoom } from "../lib/urlState";
import type { CustomPanel } from "../lib/workspace";
import type { ChartColors } from "./axes";
import type { CompareLine } from "./build";
import { KeyVsKeyChart } from "./KeyVsKeyChart";
import type { MetricsStore } from "./metricsStore";
import { PanelChart } from "./PanelChart";

/** What a page tells its custom panels: its runs (as lines), its store and its chart settings. */
export interface PanelContext {
  store: MetricsStore;
  lines: CompareLine[];
  mode: "runs" | "groups";
  /** Which keys each run logged (a key-vs-key panel leaves out runs lacking one). */
  runKeys: Readonly<Record<string, readonly string[]>>;
  x: XMode;
  smoothing: number;
  smoothWindow: number;
  band?: GroupBand;
  logY: boolean;
  zoom: Zoom;
  onZoom: (zoom: Zoom) => void;
  maxPoints: number;
  colors: ChartColors;
  syncKey: string;
  running: boolean;
}

/** A custom panel of either kind, drawn the same way on the run and compare pages. */
export function WorkspacePanel({ panel, onRemove, context: c }: { panel: CustomPanel; onRemove: () => void; context: PanelContext }) {
  if (panel.kind === "xy") {
    return (
      <KeyVsKeyChart
        panelId={panel.id}
        xKey={panel.x}
        yKey={panel.y}
        lines={c.lines}
        runKeys={c.runKeys}
        logY={c.logY}
        maxPoints={c.maxPoints}
        colors={c.colors}
        running={c.running}
        onRemove={onRemove}
      />
    );
  }
  return (
    <PanelChart {...c} panelId={panel.id} keys={panel.keys} onRemove={onRemove} />
  );
}
