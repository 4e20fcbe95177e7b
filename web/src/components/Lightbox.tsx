import { useEffect, useRef, useState } from "react";
import { useI18n } from "../i18n/context";
import "./Lightbox.css";

export interface LightboxItem {
  url: string;
  step: number | null;
  caption?: string | null;
}

const ZOOMS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];

/**
 * An image over the page at its largest fitting size, with zoom (buttons, + and -, the wheel),
 * a step slider and the arrow keys to move between steps; Escape or a click outside closes it.
 */
export function Lightbox({
  title,
  items,
  index,
  onIndex,
  onClose,
}: {
  title: string;
  items: readonly LightboxItem[];
  index: number;
  onIndex: (index: number) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [zoom, setZoom] = useState(1);
  const dialog = useRef<HTMLDivElement>(null);
  const item = items[Math.max(0, Math.min(index, items.length - 1))];
  const last = items.length - 1;

  const keys = useRef({ index, last, onIndex, onClose });
  useEffect(() => {
    keys.current = { index, last, onIndex, onClose };
  });
  useEffect(() => {
    dialog.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      const k = keys.current;
      if (e.key === "Escape") k.onClose();
      else if (e.key === "ArrowLeft" && k.index > 0) k.onIndex(k.index - 1);
      else if (e.key === "ArrowRight" && k.index < k.last) k.onIndex(k.index + 1);
      else if (e.key === "+" || e.key === "=") setZoom((z) => ZOOMS.find((v) => v > z) ?? z);
      else if (e.key === "-") setZoom((z) => [...ZOOMS].reverse().find((v) => v < z) ?? z);
      else if (e.key === "0") setZoom(1);
      else return;
      e.preventDefault();
      e.stopPropagation();
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  return (
    <div className="lightbox-backdrop" onClick={onClose} data-testid="lightbox-backdrop">
      <div
        ref={dialog}
        className="lightbox"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
        data-testid="lightbox"
        data-index={index}
        data-step={item.step ?? ""}
        data-zoom={zoom}
      >
        <div className="lightbox-head">
          <span className="chart-title">{title}</span>
          <span className="muted small mono" data-testid="lightbox-step">
            {t("media.step", { step: item.step ?? "—" })} · {index + 1}/{items.length}
          </span>
          <div className="spacer" />
          <button type="button" className="btn btn-small" onClick={() => setZoom((z) => [...ZOOMS].reverse().find((v) => v < z) ?? z)} aria-label={t("media.zoomOut")} data-testid="lightbox-zoom-out">
            −
          </button>
          <span className="small mono">{Math.round(zoom * 100)}%</span>
          <button type="button" className="btn btn-small" onClick={() => setZoom((z) => ZOOMS.find((v) => v > z) ?? z)} aria-label={t("media.zoomIn")} data-testid="lightbox-zoom-in">
            +
          </button>
          <a className="btn btn-small" href={item.url} target="_blank" rel="noreferrer">
            {t("media.original")}
          </a>
          <button type="button" className="btn-icon" onClick={onClose} aria-label={t("common.close")} data-testid="lightbox-close">
            ×
          </button>
        </div>
        <div
          className="lightbox-frame"
          onWheel={(e) => {
            if (!e.ctrlKey && !e.metaKey) return;
            setZoom((z) => (e.deltaY < 0 ? (ZOOMS.find((v) => v > z) ?? z) : ([...ZOOMS].reverse().find((v) => v < z) ?? z)));
          }}
        >
          <img
            src={item.url}
            alt={item.caption ?? title}
            style={zoom === 1 ? undefined : { maxWidth: "none", maxHeight: "none", width: `${zoom * 100}%` }}
            onLoad={(e) => {
              const img = e.currentTarget;
              img.classList.toggle("pixelated", img.naturalWidth > 0 && img.naturalWidth < 160);
            }}
            data-testid="lightbox-image"
          />
        </div>
        {item.caption && <div className="media-caption">{item.caption}</div>}
        {items.length > 1 && (
          <div className="media-slider">
            <button type="button" className="btn-icon" onClick={() => onIndex(Math.max(0, index - 1))} disabled={index === 0} aria-label={t("media.prev")} data-testid="lightbox-prev">
              ‹
            </button>
            <input
              type="range"
              min={0}
              max={last}
              value={index}
              onChange={(e) => onIndex(Number(e.target.value))}
              aria-label={t("media.stepSlider")}
              data-testid="lightbox-slider"
            />
            <button type="button" className="btn-icon" onClick={() => onIndex(Math.min(last, index + 1))} disabled={index === last} aria-label={t("media.next")} data-testid="lightbox-next">
              ›
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
