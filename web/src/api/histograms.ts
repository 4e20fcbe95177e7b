/** The histogram routes (DESIGN §13): a run's histogram keys, and one key's histograms over steps. */
import { request } from "./client";

export interface HistogramKey {
  key: string;
  steps: number;
  first_step: number;
  last_step: number;
}

export interface HistogramResponse {
  key: string;
  steps: number[];
  edges: number[][];
  counts: number[][];
  /** Steps in range before thinning to `max_steps`. */
  total: number;
}

export const histogramsApi = {
  keys: (runId: string, signal?: AbortSignal) =>
    request<{ keys: HistogramKey[] }>(`/api/runs/${encodeURIComponent(runId)}/histograms/keys`, { signal }),

  series: (runId: string, key: string, maxSteps: number, signal?: AbortSignal) =>
    request<HistogramResponse>(`/api/runs/${encodeURIComponent(runId)}/histograms`, {
      query: { key, max_steps: maxSteps },
      signal,
    }),
};
