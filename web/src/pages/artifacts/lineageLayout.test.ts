import ELK from "elkjs/lib/elk.bundled.js";
import { describe, expect, it } from "vitest";
import type { LineageGraph } from "../../api/artifacts";
import { lineageElements, NODE_HEIGHT, NODE_WIDTH, smoothPath } from "./lineageLayout";
import { placeLineage, routedEdges } from "./lineagePlacement";
import { nodeHref, nodeSubtitle } from "./lineageNodes";

const run = (id: string, name: string) => ({
  id: `run:${id}`,
  kind: "run" as const,
  run_id: id,
  project: "vision",
  name,
  status: "finished" as const,
  created_at: 1795000000,
});

const version = (name: string, v: number, type: string, extra: Partial<{ stage: "none" | "production"; aliases: string[]; deleted: boolean }> = {}) => ({
  id: `artifact:vision/${name}:v${v}`,
  kind: "artifact" as const,
  project: "vision",
  name,
  version: v,
  type,
  stage: extra.stage ?? ("none" as const),
  aliases: extra.aliases ?? [],
  created_at: 1795000000,
  deleted: extra.deleted ?? false,
});

// dataset → training run → model → evaluation run, the evaluation also reading the dataset.
const chain: LineageGraph = {
  root: "artifact:vision/resnet18:v2",
  nodes: [
    run("20261201_100000_eval01", "eval-resnet18"),
    version("cifar10", 1, "dataset", { aliases: ["stable"] }),
    version("resnet18", 2, "model", { stage: "production", aliases: ["champion"] }),
    run("20261201_090000_train1", "train-resnet18"),
  ],
  edges: [
    { from: "artifact:vision/cifar10:v1", to: "run:20261201_090000_train1", kind: "used" },
    { from: "run:20261201_090000_train1", to: "artifact:vision/resnet18:v2", kind: "produced" },
    { from: "artifact:vision/resnet18:v2", to: "run:20261201_100000_eval01", kind: "used" },
    { from: "artifact:vision/cifar10:v1", to: "run:20261201_100000_eval01", kind: "used" },
  ],
  truncated: false,
};

const elk = new ELK();
const laidOut = async (graph: LineageGraph) => lineageElements(graph, await placeLineage(graph, elk));

describe("lineageElements", () => {
  it("places each node right of everything it came from", async () => {
    const { nodes } = await laidOut(chain);
    const x = Object.fromEntries(nodes.map((n) => [n.id, n.position.x]));
    const dataset = x["artifact:vision/cifar10:v1"] ?? NaN;
    const train = x["run:20261201_090000_train1"] ?? NaN;
    const model = x["artifact:vision/resnet18:v2"] ?? NaN;
    const evaluation = x["run:20261201_100000_eval01"] ?? NaN;
    expect(train - dataset).toBeGreaterThanOrEqual(NODE_WIDTH);
    expect(model - train).toBeGreaterThanOrEqual(NODE_WIDTH);
    expect(evaluation - model).toBeGreaterThanOrEqual(NODE_WIDTH);
  });

  it("never overlaps two nodes", async () => {
    const { nodes } = await laidOut(chain);
    for (const a of nodes) {
      for (const b of nodes) {
        if (a === b) continue;
        const apart = Math.abs(a.position.x - b.position.x) >= NODE_WIDTH || Math.abs(a.position.y - b.position.y) >= 60;
        expect(apart, `${a.id} / ${b.id}`).toBe(true);
      }
    }
  });

  it("marks the root and gives every node the page it opens", async () => {
    const { nodes } = await laidOut(chain);
    const byId = Object.fromEntries(nodes.map((n) => [n.id, n.data]));
    expect(byId["artifact:vision/resnet18:v2"]).toMatchObject({ root: true, href: "/artifacts/vision/resnet18/v2", title: "resnet18:v2" });
    expect(byId["run:20261201_090000_train1"]).toMatchObject({ root: false, href: "/runs/20261201_090000_train1", title: "train-resnet18" });
    expect(new Set(nodes.map((n) => n.type))).toEqual(new Set(["lineage"]));
  });

  it("keeps the edges with their kind, dropping duplicates and edges to unknown nodes", async () => {
    const graph: LineageGraph = {
      ...chain,
      edges: [...chain.edges, ...chain.edges.slice(0, 1), { from: "run:gone", to: "artifact:vision/cifar10:v1", kind: "produced" }],
    };
    const { edges } = await laidOut(graph);
    expect(edges).toHaveLength(4);
    expect(edges.find((e) => e.source === "run:20261201_090000_train1")).toMatchObject({
      target: "artifact:vision/resnet18:v2",
      data: { kind: "produced" },
    });
  });

  it("routes an edge that skips ranks around the nodes it passes", async () => {
    const { nodes, edges } = await laidOut(chain);
    const long = edges.find((e) => e.source === "artifact:vision/cifar10:v1" && e.target === "run:20261201_100000_eval01");
    const bends = long?.data?.bends ?? [];
    expect(bends.length).toBeGreaterThanOrEqual(2);
    const x = (id: string) => nodes.find((n) => n.id === id)?.position.x ?? NaN;
    for (const bend of bends) {
      expect(bend.x).toBeGreaterThan(x("artifact:vision/cifar10:v1"));
      expect(bend.x).toBeLessThan(x("run:20261201_100000_eval01") + NODE_WIDTH);
      for (const node of nodes) {
        const inside =
          bend.x > node.position.x && bend.x < node.position.x + NODE_WIDTH &&
          bend.y > node.position.y && bend.y < node.position.y + NODE_HEIGHT;
        expect(inside, `${long?.id ?? ""} bends through ${node.id}`).toBe(false);
      }
    }
    expect(edges.every((e) => e.type === "lineage" && Array.isArray(e.data?.bends))).toBe(true);
  });

  it("lays out a single node and an empty graph", async () => {
    expect((await laidOut({ root: "run:x", nodes: [run("x", "solo")], edges: [], truncated: false })).nodes).toHaveLength(1);
    expect(await laidOut({ root: "run:x", nodes: [], edges: [], truncated: false })).toEqual({ nodes: [], edges: [] });
  });

  // A fine-tuning chain: each run uses the previous checkpoint and the one dataset, and
  // produces the next checkpoint.
  const fineTuning = (runs: number): LineageGraph => {
    const nodes: LineageGraph["nodes"] = [version("imagenet", 1, "dataset")];
    const edges: LineageGraph["edges"] = [];
    for (let i = 1; i <= runs; i++) {
      const id = `20261201_${String(i).padStart(6, "0")}_ft`;
      nodes.push(run(id, `finetune-${i}`), version("vit-b16", i, "model"));
      edges.push({ from: "artifact:vision/imagenet:v1", to: `run:${id}`, kind: "used" });
      edges.push({ from: `run:${id}`, to: `artifact:vision/vit-b16:v${i}`, kind: "produced" });
      if (i > 1) edges.push({ from: `artifact:vision/vit-b16:v${i - 1}`, to: `run:${id}`, kind: "used" });
    }
    return { root: "artifact:vision/vit-b16:v1", nodes, edges, truncated: false };
  };

  it("lays out a 500-node chain left to right, long edges drawn straight", async () => {
    const graph = fineTuning(250);
    expect(routedEdges(graph).length).toBeLessThan(graph.edges.length);
    const { nodes, edges } = await laidOut(graph);
    expect(nodes).toHaveLength(501);
    expect(edges).toHaveLength(graph.edges.length);
    const x = new Map(nodes.map((n) => [n.id, n.position.x]));
    for (const edge of graph.edges) expect(x.get(edge.to) ?? NaN).toBeGreaterThan(x.get(edge.from) ?? NaN);
    const straight = edges.find((e) => e.source === "artifact:vision/imagenet:v1" && e.target.endsWith("_ft") && e.target !== "run:20261201_000001_ft");
    expect(straight?.data?.bends).toEqual([]);
    const cells = new Set(nodes.map((n) => `${Math.floor(n.position.x / NODE_WIDTH)},${Math.floor(n.position.y / NODE_HEIGHT)}`));
    expect(cells.size).toBe(nodes.length);
  }, 60_000);
});

describe("lineage nodes", () => {
  it("link a deleted version nowhere, and describe versions by type, stage and aliases", () => {
    expect(nodeHref(version("cifar10", 4, "dataset", { deleted: true }))).toBeNull();
    expect(nodeSubtitle(version("resnet18", 2, "model", { stage: "production", aliases: ["champion"] }))).toBe("model · production · champion");
    expect(nodeSubtitle(run("20261201_090000_train1", "train"))).toBe("vision · 20261201_090000_train1");
  });

  it("encode names that need it in links", () => {
    expect(nodeHref({ ...version("my model", 1, "model"), project: "研究" })).toBe(
      `/artifacts/${encodeURIComponent("研究")}/my%20model/v1`,
    );
  });
});

describe("smoothPath", () => {
  it("draws a line, then curves through each bend towards the next midpoint", () => {
    expect(smoothPath([])).toBe("");
    expect(smoothPath([{ x: 0, y: 0 }])).toBe("M0,0");
    expect(smoothPath([{ x: 0, y: 0 }, { x: 10, y: 5 }])).toBe("M0,0 L10,5");
    expect(smoothPath([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 20, y: 10 }])).toBe("M0,0 Q10,0 20,10");
    expect(smoothPath([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 20, y: 10 }, { x: 30, y: 10 }])).toBe(
      "M0,0 Q10,0 15,5 Q20,10 30,10",
    );
    expect(smoothPath([{ x: 0.123, y: 1 / 3 }, { x: 2, y: 2 }])).toBe("M0.1,0.3 L2,2");
  });
});
