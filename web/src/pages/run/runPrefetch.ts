/**
 * The run page's first request, started as the app starts on a run's URL: the run's detail (which
 * names the metric keys the charts load) then travels while the page's code chunk downloads and
 * the app renders, instead of after. Only the page's first load uses it (both loads when StrictMode
 * mounts the page twice in one go); every later load asks the server again.
 */
import { api } from "../../api/client";
import type { RunDetail } from "../../api/types";

const RUN_PATH = /^\/runs\/([^/]+)\/?$/;

let pending: { runId: string; detail: Promise<RunDetail>; answer?: RunDetail } | null = null;

/** Starts loading the run's detail when `pathname` is a run page's. */
export function prefetchRunDetail(pathname: string): void {
  const match = RUN_PATH.exec(pathname);
  if (!match) return;
  let runId: string;
  try {
    runId = decodeURIComponent(match[1]);
  } catch {
    return;
  }
  const entry: NonNullable<typeof pending> = { runId, detail: api.run(runId) };
  // A failure is the page's to show when it takes the answer; unclaimed, it is not an error.
  entry.detail.then(
    (answer) => {
      entry.answer = answer;
    },
    () => undefined,
  );
  pending = entry;
}

/**
 * The detail of `runId` if the request started with the app has answered already: the page then
 * draws the run in its first render instead of a loading state first.
 */
export function prefetchedRunAnswer(runId: string): RunDetail | null {
  return pending?.runId === runId ? (pending.answer ?? null) : null;
}

/** The detail of `runId` from the request started with the app, once. */
export function takePrefetchedRunDetail(runId: string): Promise<RunDetail> | null {
  if (pending?.runId !== runId) return null;
  const { detail } = pending;
  queueMicrotask(() => {
    pending = null;
  });
  return detail;
}
