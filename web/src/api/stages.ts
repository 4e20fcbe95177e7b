/** The stage spans of one run: where it logged under `stage="train"`, `"val"`... (in steps). */
import { request } from "./client";

export interface StageSpan {
  stage: string;
  start: number;
  end: number;
}

export const stagesApi = {
  ofRun: (runId: string, signal?: AbortSignal) =>
    request<{ stages: StageSpan[] }>(`/api/runs/${encodeURIComponent(runId)}/stages`, { signal }),
};
