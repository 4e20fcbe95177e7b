import { describe, expect, it } from "vitest";
import type { LineageGraph } from "../../api/artifacts";
import { layoutCost, MAX_LAYOUT_COST } from "./lineageSize";

const run = (id: string) => ({ id, kind: "run" as const, run_id: id, project: "p", name: id, status: "finished" as const, created_at: 0 });

function graph(edges: [string, string][]): LineageGraph {
  const ids = [...new Set(edges.flat())];
  return { root: ids[0] ?? "", nodes: ids.map(run), edges: edges.map(([from, to]) => ({ from, to, kind: "used" })), truncated: false };
}

describe("layoutCost", () => {
  it("is the node count when every edge joins neighbouring ranks", () => {
    expect(layoutCost(graph([["data", "train"], ["train", "model"], ["model", "eval"]]))).toBe(4);
    const star = graph(Array.from({ length: 500 }, (_, i) => ["data", `run${i}`] as [string, string]));
    expect(layoutCost(star)).toBe(501);
  });

  it("counts the ranks a long edge skips", () => {
    // data → train → model → eval, and data → eval skips two ranks.
    expect(layoutCost(graph([["data", "train"], ["train", "model"], ["model", "eval"], ["data", "eval"]]))).toBe(6);
  });

  it("grows with the square of a fine-tuning chain that all used one dataset", () => {
    const chain = (runs: number) => {
      const edges: [string, string][] = [];
      for (let i = 0; i < runs; i++) {
        edges.push(["data", `run${i}`], [`run${i}`, `model${i}`]);
        if (i > 0) edges.push([`model${i - 1}`, `run${i}`]);
      }
      return graph(edges);
    };
    expect(layoutCost(chain(20))).toBeLessThan(MAX_LAYOUT_COST);
    expect(layoutCost(chain(100))).toBeGreaterThan(MAX_LAYOUT_COST);
  });

  it("ends on a cycle and ignores edges to nodes it was not given", () => {
    expect(layoutCost(graph([["a", "b"], ["b", "a"]]))).toBe(2);
    const g = graph([["a", "b"]]);
    expect(layoutCost({ ...g, edges: [...g.edges, { from: "a", to: "gone", kind: "used" }] })).toBe(2);
  });
});
