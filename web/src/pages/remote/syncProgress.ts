import type { SyncJob } from "../../api/sync";

/** Whether a job is still working (and the UI should keep polling it). */
export function isActive(job: SyncJob | null): boolean {
  return job !== null && (job.state === "running" || job.state === "watching");
}

/** The bytes bar of a pass, 0–100; null while the pass has not planned its bytes yet. */
export function bytesPercent(job: SyncJob): number | null {
  const { bytes_done: done, bytes_total: total } = job.progress;
  if (total <= 0) return job.state === "running" ? null : 100;
  return Math.min(100, (100 * done) / total);
}

/** One line per conflict, refused path and error, each starting with what it is. */
export function problemLines(job: SyncJob): string[] {
  const report = job.last_pass ?? job.total;
  return [
    ...report.conflicts.map((c) => `conflict: ${c.item}: ${c.reason}`),
    ...report.refused.map((r) => `refused: ${r}`),
    ...report.errors.map((e) => `error: ${e}`),
    ...(job.error ? [`error: ${job.error}`] : []),
  ];
}
