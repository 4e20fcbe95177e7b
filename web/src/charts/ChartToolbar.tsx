import type { XMode } from "../api/types";
import { useI18n } from "../i18n/context";
import { formatCompact } from "../lib/format";
import type { Zoom } from "../lib/urlState";

export interface ChartToolbarProps {
  x: XMode;
  /** Logged keys that can serve as x, besides step, time and relative. */
  xKeys: string[];
  smoothing: number;
  /** Running-average window; 0 means EMA smoothing. */
  smoothWindow?: number;
  logY: boolean;
  zoom: Zoom;
  search: string;
  onChange: (change: { x?: XMode; smoothing?: number; smoothWindow?: number; logY?: boolean; zoom?: Zoom; search?: string }) => void;
  children?: React.ReactNode;
}

/** The window a user switching to the running average starts from. */
const DEFAULT_WINDOW = 20;

export function ChartToolbar({ x, xKeys, smoothing, smoothWindow = 0, logY, zoom, search, onChange, children }: ChartToolbarProps) {
  const { t } = useI18n();
  const averaging = smoothWindow >= 2;
  return (
    <div className="chart-toolbar" data-testid="chart-toolbar">
      <input
        className="input chart-search"
        type="search"
        placeholder={t("charts.search")}
        value={search}
        onChange={(e) => onChange({ search: e.target.value })}
        data-testid="chart-search"
      />
      <label className="field">
        <span>{t("charts.xAxis")}</span>
        <select className="input" value={x} onChange={(e) => onChange({ x: e.target.value, zoom: null })} data-testid="x-axis-select">
          <option value="step">{t("charts.x.step")}</option>
          <option value="time">{t("charts.x.time")}</option>
          <option value="relative">{t("charts.x.relative")}</option>
          {xKeys.length > 0 && (
            <optgroup label={t("charts.x.keys")}>
              {xKeys.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      <label className="field smoothing">
        <span>{t("charts.smoothing")}</span>
        <select
          className="input"
          value={averaging ? "avg" : "ema"}
          onChange={(e) => onChange({ smoothWindow: e.target.value === "avg" ? DEFAULT_WINDOW : 0 })}
          title={t("charts.smoothingModeHint")}
          aria-label={t("charts.smoothingMode")}
          data-testid="smoothing-mode"
        >
          <option value="ema">{t("charts.smoothingEma")}</option>
          <option value="avg">{t("charts.smoothingAvg")}</option>
        </select>
        {averaging ? (
          <input
            className="input num-input"
            type="number"
            min={2}
            max={100000}
            step={1}
            value={smoothWindow}
            onChange={(e) => {
              const v = Math.floor(Number(e.target.value));
              if (Number.isFinite(v) && v >= 2) onChange({ smoothWindow: Math.min(100000, v) });
            }}
            title={t("charts.smoothingWindowHint")}
            aria-label={t("charts.smoothingWindow")}
            data-testid="smoothing-window"
          />
        ) : (
          <>
            <input
              type="range"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onChange={(e) => onChange({ smoothing: Number(e.target.value) })}
              title={t("charts.smoothingEmaHint")}
              data-testid="smoothing-slider"
            />
            <input
              className="input num-input"
              type="number"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onChange={(e) => {
                const v = Number(e.target.value);
                if (Number.isFinite(v)) onChange({ smoothing: Math.min(0.99, Math.max(0, v)) });
              }}
              aria-label={t("charts.smoothing")}
              data-testid="smoothing-input"
            />
          </>
        )}
      </label>
      <label className="field checkbox">
        <input type="checkbox" checked={logY} onChange={(e) => onChange({ logY: e.target.checked })} data-testid="log-y-toggle" />
        <span>{t("charts.logY")}</span>
      </label>
      {zoom && (
        <span className="zoom-chip" data-testid="zoom-indicator" data-zoom={`${zoom[0]}..${zoom[1]}`}>
          {t("charts.zoomed", { from: formatCompact(zoom[0]), to: formatCompact(zoom[1]) })}
          <button type="button" className="btn-icon" onClick={() => onChange({ zoom: null })} data-testid="zoom-reset" aria-label={t("charts.resetZoom")}>
            ×
          </button>
        </span>
      )}
      <div className="spacer" />
      {children}
      <span className="muted small hint">{t("charts.hint")}</span>
    </div>
  );
}
