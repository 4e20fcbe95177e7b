/**
 * Where each lineage node goes and how each edge bends, computed by ELK's layered algorithm
 * left to right in the direction the data flows (dataset → training run → model → evaluation
 * run). Pure and free of React, so the layout worker runs it off the page's thread.
 */
import type { ELK, ElkExtendedEdge, ElkNode, LayoutOptions } from "elkjs/lib/elk-api";
import type { LineageEdge, LineageGraph } from "../../api/artifacts";
import { edgeId, layoutCost, lineageEdges, longestPathRanks, MAX_LAYOUT_COST, skippedRanks } from "./lineageSize";

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 60;

export interface Point {
  x: number;
  y: number;
}

/** Top-left corner of every node, and the bends of every routed edge by `from->to` id. */
export interface LineagePlacement {
  nodes: Record<string, Point>;
  bends: Record<string, Point[]>;
}

const LAYOUT_OPTIONS: LayoutOptions = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "POLYLINE",
  "elk.padding": "[top=16,left=16,bottom=16,right=16]",
  "elk.spacing.nodeNode": "22",
  "elk.layered.spacing.nodeNodeBetweenLayers": "80",
  "elk.layered.spacing.edgeNodeBetweenLayers": "20",
  // The defaults try much harder to save a crossing; lineage graphs are nearly chains, and
  // the cheaper passes keep a few hundred nodes within a second or two.
  "elk.layered.thoroughness": "2",
  "elk.layered.crossingMinimization.greedySwitch.type": "OFF",
};

/**
 * The edges handed to the layout. When long edges would cost more dummy nodes than the budget
 * (one dataset used by every run of a long chain), those skipping ranks are left out and drawn
 * straight; a node would otherwise lose its place in the ranks, so each keeps its shortest edge.
 */
export function routedEdges(graph: LineageGraph): LineageEdge[] {
  const edges = lineageEdges(graph);
  if (layoutCost(graph) <= MAX_LAYOUT_COST) return edges;
  const rank = longestPathRanks(graph.nodes.map((n) => n.id), edges);
  const kept = new Set(edges.filter((e) => skippedRanks(e, rank) === 0));
  const shortest = new Map<string, LineageEdge>();
  for (const e of edges) {
    for (const end of [e.from, e.to]) {
      const best = shortest.get(end);
      if (!best || skippedRanks(e, rank) < skippedRanks(best, rank)) shortest.set(end, e);
    }
  }
  const covered = new Set<string>();
  for (const e of kept) covered.add(e.from).add(e.to);
  for (const [end, e] of shortest) if (!covered.has(end)) kept.add(e);
  return edges.filter((e) => kept.has(e));
}

export async function placeLineage(graph: LineageGraph, elk: ELK): Promise<LineagePlacement> {
  const edges: ElkExtendedEdge[] = routedEdges(graph).map((e) => ({ id: edgeId(e), sources: [e.from], targets: [e.to] }));
  const input: ElkNode = {
    id: "lineage",
    layoutOptions: LAYOUT_OPTIONS,
    children: graph.nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges,
  };
  const placed = await elk.layout(input);
  const nodes: Record<string, Point> = {};
  for (const child of placed.children ?? []) nodes[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  const bends: Record<string, Point[]> = {};
  for (const edge of placed.edges ?? []) {
    const points = (edge.sections ?? []).flatMap((s) => s.bendPoints ?? []);
    bends[edge.id] = points.map((p) => ({ x: p.x, y: p.y }));
  }
  return { nodes, bends };
}
