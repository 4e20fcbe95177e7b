import { useCallback, useEffect, useState } from "react";
import { isAbort } from "../../api/client";
import { stagesApi, type StageSpan } from "../../api/stages";
import { usePolling } from "../../hooks/usePolling";

const REFRESH_MS = 10_000;

/** A run's stage spans (train, val...): loaded once, refreshed while it runs. */
export function useRunStages(runId: string, running: boolean): StageSpan[] {
  const [spans, setSpans] = useState<StageSpan[]>([]);
  const load = useCallback(
    (signal?: AbortSignal) => {
      stagesApi.ofRun(runId, signal).then(
        (body) => setSpans((current) => (sameSpans(current, body.stages) ? current : body.stages)),
        (error: unknown) => {
          if (!isAbort(error)) setSpans([]);
        },
      );
    },
    [runId],
  );
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    return () => controller.abort();
  }, [load]);
  usePolling(() => load(), REFRESH_MS, running);
  return spans;
}

function sameSpans(a: StageSpan[], b: StageSpan[]): boolean {
  return a.length === b.length && a.every((s, i) => s.stage === b[i].stage && s.start === b[i].start && s.end === b[i].end);
}
