/** `GET /api/gpu?history=N`: the readings the viewer sampled in the background (docs/api.md). */
import { request } from "./client";
import type { GpuResponse } from "./types";

export interface SystemHistory {
  interval: number;
  t: number[];
  cpu_percent: (number | null)[];
  memory_percent: (number | null)[];
  gpus: Record<string, { utilization: (number | null)[]; memory_used: (number | null)[] }>;
}

export function systemWithHistory(seconds: number, signal?: AbortSignal) {
  return request<GpuResponse & { history?: SystemHistory }>("/api/gpu", { query: { history: seconds }, signal });
}

/** The history as one reading per sample, shaped like `GET /api/gpu`'s answer. */
export function historySamples(history: SystemHistory, latest: GpuResponse): { ts: number; data: GpuResponse }[] {
  const totals = new Map(latest.gpus.map((g) => [String(g.index), g]));
  return history.t.map((ts, i) => ({
    ts,
    data: {
      available: latest.available,
      gpus: Object.entries(history.gpus).map(([index, column]) => ({
        index: Number(index),
        name: totals.get(index)?.name ?? "",
        memory_total: totals.get(index)?.memory_total ?? null,
        utilization: column.utilization[i] ?? null,
        memory_used: column.memory_used[i] ?? null,
      })),
      host: { cpu_percent: history.cpu_percent[i] ?? null, memory_percent: history.memory_percent[i] ?? null, memory_used: null, memory_total: null },
    },
  }));
}
