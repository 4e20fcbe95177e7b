/**
 * A lineage graph's placement, computed in a Web Worker so a graph of hundreds of nodes never
 * blocks the page. A layout still running after the time budget is stopped and reported as too
 * large (the panel then lists the nodes instead).
 */
import { useEffect, useState } from "react";
import type { LineageGraph } from "../../api/artifacts";
import type { LineagePlacement } from "./lineagePlacement";
import type { LayoutReply } from "./lineageLayout.worker";

export const LAYOUT_BUDGET_MS = 30_000;

export type PlacementState =
  | { status: "running" }
  | { status: "ready"; placement: LineagePlacement }
  | { status: "too-large" }
  | { status: "failed"; error: string };

const RUNNING: PlacementState = { status: "running" };

export function useLineagePlacement(graph: LineageGraph | null): PlacementState {
  const [done, setDone] = useState<{ graph: LineageGraph; state: PlacementState } | null>(null);
  useEffect(() => {
    if (!graph || graph.nodes.length <= 1) return;
    const worker = new Worker(new URL("./lineageLayout.worker.ts", import.meta.url), { type: "module" });
    const finish = (state: PlacementState) => {
      window.clearTimeout(timer);
      worker.terminate();
      setDone({ graph, state });
    };
    const timer = window.setTimeout(() => finish({ status: "too-large" }), LAYOUT_BUDGET_MS);
    worker.onmessage = (event: MessageEvent<LayoutReply>) => {
      const reply = event.data;
      finish("placement" in reply ? { status: "ready", placement: reply.placement } : { status: "failed", error: reply.error });
    };
    worker.onerror = (event) => finish({ status: "failed", error: event.message || "the layout worker failed" });
    worker.postMessage(graph);
    return () => {
      window.clearTimeout(timer);
      worker.terminate();
    };
  }, [graph]);
  return done && done.graph === graph ? done.state : RUNNING;
}
