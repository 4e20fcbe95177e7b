/**
 * Moving runs in and out of the viewer from the browser: `POST /api/export` (runs as a .tar.gz
 * archive, or their metrics as a table) and `POST /api/import` (an archive made by export).
 */
import { ApiError } from "./client";

export type ExportFormat = "archive" | "csv" | "json" | "parquet";

export interface ImportResult {
  imported: string[];
  skipped: { id: string; reason: string }[];
}

async function failure(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText || "error"}`;
  try {
    const body = (await response.json()) as { detail?: unknown };
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // Not JSON: the status line is all there is.
  }
  return new ApiError(response.status, detail);
}

/** The export as a file: its bytes and the name the server gave it. */
export async function exportRuns(ids: readonly string[], format: ExportFormat): Promise<{ blob: Blob; filename: string }> {
  const response = await fetch("/api/export", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ids, format }),
    credentials: "same-origin",
  });
  if (!response.ok) throw await failure(response);
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const match = /filename="?([^";]+)"?/.exec(disposition);
  return { blob: await response.blob(), filename: match?.[1] ?? `runicorn-export.${format === "archive" ? "tar.gz" : format}` };
}

export async function importArchive(file: File): Promise<ImportResult> {
  const form = new FormData();
  form.append("file", file, file.name);
  const response = await fetch("/api/import", { method: "POST", body: form, credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as ImportResult;
}
