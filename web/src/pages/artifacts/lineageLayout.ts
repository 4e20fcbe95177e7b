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
export type LineageFlowEdge = Edge<{ kind: LineageEdge["kind"] }>;

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
    flowEdges.push({
      id,
      source: edge.from,
      target: edge.to,
      data: { kind: edge.kind },
      className: `lineage-edge lineage-edge-${edge.kind}`,
    });
  }
  return { nodes, edges: flowEdges };
}
