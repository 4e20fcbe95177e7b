/**
 * A lineage graph from the API and its placement (see lineagePlacement) as React Flow elements:
 * each node knows the page it opens, each edge the bends it was routed through.
 */
import type { Edge, Node } from "@xyflow/react";
import type { LineageEdge, LineageGraph, LineageNode } from "../../api/artifacts";
import { nodeHref, nodeSubtitle, nodeTitle } from "./lineageNodes";
import { NODE_HEIGHT, NODE_WIDTH, type LineagePlacement, type Point } from "./lineagePlacement";
import { edgeId, lineageEdges } from "./lineageSize";

export { NODE_HEIGHT, NODE_WIDTH, type Point };

export type LineageNodeData = {
  item: LineageNode;
  root: boolean;
  /** The page a click opens; null for a deleted version. */
  href: string | null;
  title: string;
  subtitle: string;
};

export type LineageFlowNode = Node<LineageNodeData, "lineage">;

/** An edge's kind and the bends the layout routed it through (none: drawn straight). */
export type LineageEdgeData = { kind: LineageEdge["kind"]; bends: Point[] };
export type LineageFlowEdge = Edge<LineageEdgeData, "lineage">;

export interface LineageElements {
  nodes: LineageFlowNode[];
  edges: LineageFlowEdge[];
}

export function lineageElements(graph: LineageGraph, placement: LineagePlacement): LineageElements {
  const nodes: LineageFlowNode[] = graph.nodes.map((item) => ({
    id: item.id,
    type: "lineage",
    position: placement.nodes[item.id] ?? { x: 0, y: 0 },
    data: {
      item,
      root: item.id === graph.root,
      href: nodeHref(item),
      title: nodeTitle(item),
      subtitle: nodeSubtitle(item),
    },
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
  }));
  const edges: LineageFlowEdge[] = lineageEdges(graph).map((edge) => {
    const id = edgeId(edge);
    return {
      id,
      type: "lineage",
      source: edge.from,
      target: edge.to,
      data: { kind: edge.kind, bends: placement.bends[id] ?? [] },
      className: `lineage-edge lineage-edge-${edge.kind}`,
    };
  });
  return { nodes, edges };
}

/**
 * An SVG path through `points`: straight to the first midpoint, then quadratic curves that use
 * each bend as the control point, so the line turns smoothly but stays close to the route.
 */
export function smoothPath(points: readonly Point[]): string {
  const fmt = (p: Point) => `${Math.round(p.x * 10) / 10},${Math.round(p.y * 10) / 10}`;
  const last = points.length - 1;
  let d = "";
  points.forEach((point, i) => {
    if (i === 0) {
      d = `M${fmt(point)}`;
    } else if (last === 1) {
      d += ` L${fmt(point)}`;
    } else if (i < last) {
      const next = points[i + 1];
      const end = i === last - 1 ? next : { x: (point.x + next.x) / 2, y: (point.y + next.y) / 2 };
      d += ` Q${fmt(point)} ${fmt(end)}`;
    }
  });
  return d;
}
