import { describe, expect, it } from "vitest";
import type { RunItem } from "../../api/types";
import { browserFilteredFetcher } from "./browserFilter";

function run(id: string, betas: number[]): RunItem {
  return {
    id, project: "sweep", name: id, status: "finished", created_at: 0, ended_at: 1, duration: 1,
    tags: [], notes: "", config: { "optimizer.betas": betas }, summary: {}, metrics: {},
  };
}

describe("browserFilteredFetcher", () => {
  it("pages through the kept runs in the server's order, loading the list once per burst", async () => {
    const all = Array.from({ length: 450 }, (_, i) => run(`r${String(i).padStart(3, "0")}`, i % 3 ? [0.9, 0.999] : [1, 0.5]));
    const calls: string[] = [];
    const fetcher = browserFilteredFetcher("project = sweep", "-created_at", (r) => JSON.stringify(r.config["optimizer.betas"]) === "[1,0.5]", (filter, sort) => {
      calls.push(`${filter}|${sort}`);
      return Promise.resolve(all);
    });
    const signal = new AbortController().signal;
    const first = await fetcher(0, 100, signal);
    const second = await fetcher(100, 100, signal);
    expect(first.total).toBe(150);
    expect(first.items.map((r) => r.id).slice(0, 2)).toEqual(["r000", "r003"]);
    expect(second.items).toHaveLength(50);
    expect(second.items[0].id).toBe("r300");
    expect(calls).toEqual(["project = sweep|-created_at"]);
  });

  it("loads again after a failure", async () => {
    let attempts = 0;
    const fetcher = browserFilteredFetcher("", "-created_at", () => true, () => {
      attempts++;
      return attempts === 1 ? Promise.reject(new Error("viewer restarting")) : Promise.resolve([run("a", [0.9, 0.999])]);
    });
    const signal = new AbortController().signal;
    await expect(fetcher(0, 200, signal)).rejects.toThrow("viewer restarting");
    expect((await fetcher(0, 200, signal)).total).toBe(1);
  });
});
