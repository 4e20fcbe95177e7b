/**
 * A lineage graph from the API as positioned graph elements: dagre ranks the nodes left to right
 * in the direction the data flows (dataset → training run → model → evaluation run), and each
 * node knows the page it opens.
 */
import { Graph, layout, type EdgeLabel, type GraphLabel, type NodeLabel } from "@dagrejs/dagre";
import type { Edge, Node } from "@xyflow/react";
import type { LineageEdge, LineageGraph, LineageNode } from "../../api/artifacts";
import { nodeHref, nodeSubtitle, nodeTitle } from "./lineageNodes";

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 60;

export type LineageNodeData = {
  item: LineageNode;
  root: boolean;
  /** The page a click opens; null for a deleted version. */
  href: string | null;
  title: string;
  subtitle: string;
};

export type LineageFlowNode = Node<LineageNodeData, "lineage">;
export interface Point {
  x: number;
  y: number;
}

/** An edge's kind and the bends dagre routed it through (around the nodes between its ends). */
export type LineageEdgeData = { kind: LineageEdge["kind"]; bends: Point[] };
export type LineageFlowEdge = Edge<LineageEdgeData, "lineage">;

export interface LineageElements {
  nodes: LineageFlowNode[];
  edges: LineageFlowEdge[];
}

export function lineageElements(graph: LineageGraph): LineageElements {
  const known = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);

  const g = new Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: false });
  g.setGraph({ rankdir: "LR", nodesep: 22, ranksep: 80, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) g.setEdge(edge.from, edge.to);
  layout(g);

  const nodes: LineageFlowNode[] = graph.nodes.map((item) => {
    const placed = g.node(item.id);
    return {
      id: item.id,
      type: "lineage",
      position: { x: (placed.x ?? 0) - NODE_WIDTH / 2, y: (placed.y ?? 0) - NODE_HEIGHT / 2 },
      data: {
        item,
        root: item.id === graph.root,
        href: nodeHref(item),
        title: nodeTitle(item),
        subtitle: nodeSubtitle(item),
      },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
    };
  });
  const seen = new Set<string>();
  const flowEdges: LineageFlowEdge[] = [];
  for (const edge of edges) {
    const id = `${edge.from}->${edge.to}`;
    if (seen.has(id)) continue;
    seen.add(id);
    // dagre's first and last points sit on the node borders; the drawn edge starts and ends at
    // the handles instead, so only the bends in between are kept.
    const points = g.edge(edge.from, edge.to).points ?? [];
    const bends = points.slice(1, -1).map((p) => ({ x: p.x, y: p.y }));
    flowEdges.push({
      id,
      type: "lineage",
      source: edge.from,
      target: edge.to,
      data: { kind: edge.kind, bends },
      className: `lineage-edge lineage-edge-${edge.kind}`,
    });
  }
  return { nodes, edges: flowEdges };
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
