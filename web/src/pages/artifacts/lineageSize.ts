/**
 * How much work laying out a lineage graph is. A layered layout puts a dummy node on every rank
 * a long edge crosses, so a dataset that every run of a long fine-tuning chain used costs about
 * n² dummies. The estimate is the node count plus the ranks every edge skips, with ranks from a
 * longest-path walk (what a layered layout's first pass assigns).
 */
import type { LineageEdge, LineageGraph } from "../../api/artifacts";

/** Above this the long edges are left out of the layout and drawn straight (see lineagePlacement). */
export const MAX_LAYOUT_COST = 3000;

/** The edges worth drawing: between known nodes, no loops, each (from, to) once. */
export function lineageEdges(graph: LineageGraph): LineageEdge[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const seen = new Set<string>();
  return graph.edges.filter((e) => {
    const id = edgeId(e);
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export function edgeId(edge: Pick<LineageEdge, "from" | "to">): string {
  return `${edge.from}->${edge.to}`;
}

/** Each node's rank: the longest path from a node nothing flows into. */
export function longestPathRanks(ids: Iterable<string>, edges: readonly LineageEdge[]): Map<string, number> {
  const outgoing = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  for (const id of ids) indegree.set(id, 0);
  for (const e of edges) {
    const list = outgoing.get(e.from);
    if (list) list.push(e.to);
    else outgoing.set(e.from, [e.to]);
    indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  }
  // Kahn's order; nodes left over sit on a cycle (lineage has none, but a hand-edited
  // artifacts.json could make one) and keep rank 0.
  const rank = new Map<string, number>();
  const queue = [...indegree.keys()].filter((id) => indegree.get(id) === 0);
  for (const id of indegree.keys()) rank.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] ?? "";
    const next = (rank.get(id) ?? 0) + 1;
    for (const to of outgoing.get(id) ?? []) {
      if (next > (rank.get(to) ?? 0)) rank.set(to, next);
      const left = (indegree.get(to) ?? 1) - 1;
      indegree.set(to, left);
      if (left === 0) queue.push(to);
    }
  }
  return rank;
}

/** How many ranks an edge skips (0 between neighbouring ranks). */
export function skippedRanks(edge: LineageEdge, rank: ReadonlyMap<string, number>): number {
  return Math.max(0, Math.abs((rank.get(edge.to) ?? 0) - (rank.get(edge.from) ?? 0)) - 1);
}

export function layoutCost(graph: LineageGraph): number {
  const edges = lineageEdges(graph);
  const rank = longestPathRanks(graph.nodes.map((n) => n.id), edges);
  let skipped = 0;
  for (const e of edges) skipped += skippedRanks(e, rank);
  return rank.size + skipped;
}
