import { errorMessage } from "../api/client";
import { Popover } from "../components/Popover";
import { useI18n } from "../i18n/context";
import { fileStamp, saveBlob } from "../lib/download";
import { cssVar } from "../theme/context";
import { chartCsv, chartPng, chartSvg } from "./chartExport";
import "./chartExport.css";

const LABELS = { png: "charts.exportPng", svg: "charts.exportSvg", csv: "charts.exportCsv" } as const;

function safeName(key: string): string {
  return key.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^_+|_+$/g, "") || "chart";
}

/** A chart card's download menu: PNG, SVG or CSV of what the chart draws now. */
export function ChartExportMenu({ chartKey, title, xLabel }: { chartKey: string; title: string; xLabel: string }) {
  const { t } = useI18n();
  const save = async (format: "png" | "svg" | "csv") => {
    const chart = window.__runicornCharts?.[chartKey];
    if (!chart) return;
    const name = `${safeName(title)}-${fileStamp()}.${format}`;
    const background = cssVar("--surface") || "#ffffff";
    try {
      if (format === "png") saveBlob(await chartPng(chart, background), name);
      else if (format === "svg") saveBlob(new Blob([chartSvg(chart, title, { background, text: cssVar("--text") || "#1b2130", xLabel })], { type: "image/svg+xml" }), name);
      else saveBlob(new Blob([chartCsv(chart, xLabel)], { type: "text/csv;charset=utf-8" }), name);
    } catch (e) {
      window.alert(errorMessage(e));
    }
  };
  return (
    <Popover label={<span title={t("charts.export")} aria-label={t("charts.export")}>⤓</span>} buttonClass="mini-btn" align="right" testId="chart-export">
      {(close) => (
        <div className="chart-export-menu" role="menu">
          {(["png", "svg", "csv"] as const).map((format) => (
            <button
              key={format}
              type="button"
              role="menuitem"
              className="btn btn-small"
              data-testid={`chart-export-${format}`}
              onClick={() => {
                close();
                void save(format);
              }}
            >
              {t(LABELS[format])}
            </button>
          ))}
        </div>
      )}
    </Popover>
  );
}
