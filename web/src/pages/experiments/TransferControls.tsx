import { useEffect, useRef, useState } from "react";
import { errorMessage } from "../../api/client";
import { exportRuns, importArchive } from "../../api/transfer";
import { useI18n } from "../../i18n/context";
import { fileStamp, saveBlob } from "../../lib/download";

export interface TransferControlsProps {
  /** The visible table as CSV text (every matching run, the visible columns). */
  tableCsv: () => Promise<string>;
  selectedIds: readonly string[];
  onNotice: (text: string) => void;
  onImported: () => void;
}

function hasFiles(event: DragEvent): boolean {
  return [...(event.dataTransfer?.types ?? [])].includes("Files");
}

/**
 * Export the table as CSV, the selected runs as an archive, and import an archive by picking a
 * file or dropping it anywhere on the page.
 */
export function TransferControls({ tableCsv, selectedIds, onNotice, onImported }: TransferControlsProps) {
  const { t } = useI18n();
  const [busy, setBusy] = useState<"" | "csv" | "archive" | "import">("");
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const importRef = useRef<(file: File) => void>(() => undefined);

  const run = async (kind: "csv" | "archive" | "import", work: () => Promise<string | null>) => {
    setBusy(kind);
    try {
      const text = await work();
      if (text) onNotice(text);
    } catch (e) {
      onNotice(errorMessage(e));
    } finally {
      setBusy("");
    }
  };

  const importFile = (file: File) =>
    void run("import", async () => {
      const result = await importArchive(file);
      onImported();
      return t("transfer.imported", { n: result.imported.length, skipped: result.skipped.length });
    });
  useEffect(() => {
    importRef.current = importFile;
  });

  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const file = e.dataTransfer?.files[0];
      if (file) importRef.current(file);
    };
    window.addEventListener("dragenter", enter);
    window.addEventListener("dragover", over);
    window.addEventListener("dragleave", leave);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragenter", enter);
      window.removeEventListener("dragover", over);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("drop", drop);
    };
  }, []);

  return (
    <>
      <button
        type="button"
        className="btn"
        disabled={busy !== ""}
        title={t("transfer.csvHint")}
        data-testid="export-table-csv"
        onClick={() =>
          void run("csv", async () => {
            const text = await tableCsv();
            saveBlob(new Blob([text], { type: "text/csv;charset=utf-8" }), `runicorn-runs-${fileStamp()}.csv`);
            return null;
          })
        }
      >
        {busy === "csv" ? t("common.loading") : t("transfer.csv")}
      </button>
      <button
        type="button"
        className="btn"
        disabled={busy !== "" || selectedIds.length === 0}
        title={t("transfer.archiveHint")}
        data-testid="export-selected"
        onClick={() =>
          void run("archive", async () => {
            const { blob, filename } = await exportRuns(selectedIds, "archive");
            saveBlob(blob, filename);
            return t("transfer.exported", { n: selectedIds.length });
          })
        }
      >
        {t("transfer.archive")}
      </button>
      <button type="button" className="btn" disabled={busy !== ""} title={t("transfer.importHint")} onClick={() => input.current?.click()} data-testid="import-button">
        {busy === "import" ? t("common.loading") : t("transfer.import")}
      </button>
      <input
        ref={input}
        type="file"
        accept=".tar.gz,.tgz,application/gzip"
        hidden
        data-testid="import-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          if (file) importFile(file);
        }}
      />
      {dragging && (
        <div className="import-drop-zone" data-testid="import-drop-zone">
          {t("transfer.drop")}
        </div>
      )}
    </>
  );
}
