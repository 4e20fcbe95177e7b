/**
 * How much work laying out a lineage graph is, before handing it to dagre. dagre puts a dummy
 * node on every rank a long edge crosses, so a dataset that every run of a long fine-tuning chain
 * used costs about n² dummies and minutes of layout. The estimate is the node count plus the
 * ranks every edge skips, with ranks from a longest-path walk (what dagre's first pass assigns).
 */
import type { LineageGraph } from "../../api/artifacts";

/** About two seconds of dagre on a slow laptop; larger graphs are listed, not drawn. */
export const MAX_LAYOUT_COST = 3000;

export function layoutCost(graph: LineageGraph): number {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to);
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
  const queue = [...ids].filter((id) => indegree.get(id) === 0);
  for (const id of queue) rank.set(id, 0);
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
  let skipped = 0;
  for (const e of edges) skipped += Math.max(0, Math.abs((rank.get(e.to) ?? 0) - (rank.get(e.from) ?? 0)) - 1);
  return ids.size + skipped;
}
