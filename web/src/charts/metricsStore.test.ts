import { describe, expect, it, vi } from "vitest";
import type { MetricsQuery, SeriesPayload } from "../api/types";
import { appendPoints, MetricsStore, toSeriesData, type BatchFetcher } from "./metricsStore";

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function fakeFetcher(series: Record<string, SeriesPayload>) {
  const calls: MetricsQuery[] = [];
  const fetcher: BatchFetcher = (runIds, query) => {
    calls.push(query);
    const out: Record<string, SeriesPayload> = {};
    for (const key of query.keys ?? []) if (key in series) out[key] = series[key];
    return Promise.resolve({ [runIds[0]]: out });
  };
  return { fetcher, calls };
}

const params = { x: "step", zoom: null, maxPoints: 2000 } as const;

describe("toSeriesData", () => {
  it("parses non-finite markers and keeps the band only when downsampled", () => {
    const data = toSeriesData({ x: [1, 2], y: [0.5, "NaN"], count: 40, downsampled: true, y_min: [0.1, "-Infinity"], y_max: [0.9, 1] });
    expect(data.y[1]).toBeNaN();
    expect(data.yMin?.[1]).toBe(-Infinity);
    expect(data.count).toBe(40);
    expect(toSeriesData({ x: [1], y: [1] }).yMin).toBeNull();
  });
});

describe("MetricsStore", () => {
  it("asks for the keys wanted in one tick with one request", async () => {
    const { fetcher, calls } = fakeFetcher({ loss: { x: [1, 2], y: [1, 0.5] }, acc: { x: [1], y: [0.1] } });
    const store = new MetricsStore(["r"], params, fetcher);
    store.want("loss");
    store.want("acc");
    store.want("loss");
    await flush();
    expect(calls).toHaveLength(1);
    expect(calls[0].keys).toEqual(["loss", "acc"]);
    expect(store.getEntry("loss").status).toBe("ready");
    expect(store.getEntry("loss").runs.r.y).toEqual([1, 0.5]);
  });

  it("refetches with start and end when zoomed, keeping the old lines meanwhile", async () => {
    const { fetcher, calls } = fakeFetcher({ loss: { x: [1, 2, 3], y: [3, 2, 1] } });
    const store = new MetricsStore(["r"], params, fetcher);
    store.want("loss");
    await flush();
    store.setParams({ ...params, zoom: [2, 3] });
    expect(store.getEntry("loss").status).toBe("loading");
    expect(store.getEntry("loss").runs.r.x).toEqual([1, 2, 3]);
    await flush();
    expect(calls[1]).toMatchObject({ start: 2, end: 3, keys: ["loss"] });
  });

  it("appends live points in place and notifies subscribers", async () => {
    const { fetcher, calls } = fakeFetcher({ loss: { x: [1, 2], y: [1, 0.9] } });
    const store = new MetricsStore(["r"], params, fetcher);
    store.want("loss");
    await flush();
    const listener = vi.fn();
    store.subscribe("loss", listener);
    store.applyLive({ series: { loss: { x: [2, 3, 4], y: [0.9, 0.8, "NaN"] } } });
    const data = store.getEntry("loss").runs.r;
    expect(data.x).toEqual([1, 2, 3, 4]);
    expect(data.y[3]).toBeNaN();
    expect(data.count).toBe(4);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.lastStep).toBe(4);
    expect(calls).toHaveLength(1);
  });

  it("keeps live points that arrive while a key is loading", async () => {
    let resolve: (v: Record<string, Record<string, SeriesPayload>>) => void = () => undefined;
    const fetcher: BatchFetcher = () => new Promise((r) => (resolve = r));
    const store = new MetricsStore(["r"], params, fetcher);
    store.want("loss");
    await flush();
    store.applyLive({ series: { loss: { x: [3], y: [0.3] } } });
    resolve({ r: { loss: { x: [1, 2], y: [1, 0.5] } } });
    await flush();
    expect(store.getEntry("loss").runs.r.x).toEqual([1, 2, 3]);
  });

  it("learns new keys from live messages", () => {
    const store = new MetricsStore(["r"], params, fakeFetcher({}).fetcher);
    store.setKeys(["loss"]);
    const listener = vi.fn();
    store.subscribeKeys(listener);
    store.applyLive({ series: { "val/acc": { x: [5], y: [0.7] } } });
    expect(store.getKeys()).toEqual(["loss", "val/acc"]);
    expect(listener).toHaveBeenCalled();
  });

  it("reports a failed read on each key of the request", async () => {
    const store = new MetricsStore(["r"], params, () => Promise.reject(new Error("boom")));
    store.want("loss");
    await flush();
    expect(store.getEntry("loss")).toMatchObject({ status: "error", error: "boom" });
  });
});

describe("appendPoints", () => {
  it("skips points a reconnect sent again", () => {
    const data = toSeriesData({ x: [1, 2], y: [1, 2] });
    const next = appendPoints(data, [1, 2, 3], [1, 2, 3]);
    expect(next.x).toEqual([1, 2, 3]);
    expect(appendPoints(next, [3], [3])).toBe(next);
  });
});
