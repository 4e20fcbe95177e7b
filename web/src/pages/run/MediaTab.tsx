import { useMemo, useState } from "react";
import { api } from "../../api/client";
import type { MediaItem, RunDetail } from "../../api/types";
import { EmptyState } from "../../components/States";
import { useI18n } from "../../i18n/context";
import { Icon } from "../../components/Icon";
import { Lightbox } from "../../components/Lightbox";
import { isImagePath } from "../../lib/mediaSteps";

function MediaCard({ runId, mediaKey, items }: { runId: string; mediaKey: string; items: MediaItem[] }) {
  const { t } = useI18n();
  const [index, setIndex] = useState(items.length - 1);
  const [failed, setFailed] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [allSteps, setAllSteps] = useState(false);
  const item = items[Math.min(index, items.length - 1)];
  const url = api.mediaUrl(runId, item.path);
  const isImage = isImagePath(item.path);
  const images = useMemo(
    () => items.filter((i) => isImagePath(i.path)).map((i) => ({ url: api.mediaUrl(runId, i.path), step: i.step ?? null, caption: i.caption })),
    [items, runId],
  );
  const openAt = (at: number) => {
    setIndex(at);
    setOpen(true);
  };
  return (
    <figure className="media-card" data-testid="media-card" data-key={mediaKey} data-step={item.step ?? ""}>
      <figcaption className="media-head">
        <span className="chart-title">{mediaKey}</span>
        <span className="muted small mono">
          {t("media.step", { step: item.step ?? "—" })} · {index + 1}/{items.length}
        </span>
        {items.length > 1 && images.length === items.length && (
          <button
            type="button"
            className={`mini-btn${allSteps ? " active" : ""}`}
            aria-pressed={allSteps}
            onClick={() => setAllSteps((a) => !a)}
            data-testid="media-all-steps"
          >
            {t("media.allSteps")}
          </button>
        )}
      </figcaption>
      {allSteps && (
        <div className="media-steps" data-testid="media-step-grid">
          {images.map((image, i) => (
            <button key={`${image.url}-${i}`} type="button" className="media-thumb" onClick={() => openAt(i)} data-testid="media-thumb" data-step={image.step ?? ""}>
              <img src={image.url} alt={`${mediaKey} ${image.step ?? ""}`} loading="lazy" />
              <span className="mono">{image.step ?? "—"}</span>
            </button>
          ))}
        </div>
      )}
      <div className="media-frame">
        {!isImage ? (
          <a href={url} target="_blank" rel="noreferrer" className="btn">
            {item.path.split("/").pop()}
          </a>
        ) : failed === url ? (
          <div className="chart-state error">{t("media.failed")}</div>
        ) : (
          <button type="button" className="media-open" onClick={() => openAt(index)} title={t("media.open")} data-testid="media-open">
            <img
              src={url}
              alt={item.caption ?? mediaKey}
              loading="lazy"
              onError={() => setFailed(url)}
              onLoad={(e) => {
                // Small samples (MNIST, CIFAR) are enlarged with crisp pixels rather than blurred.
                const img = e.currentTarget;
                img.classList.toggle("pixelated", img.naturalWidth > 0 && img.naturalWidth < 160);
              }}
              data-testid="media-image"
            />
          </button>
        )}
      </div>
      {open && images.length === items.length && (
        <Lightbox title={mediaKey} items={images} index={index} onIndex={setIndex} onClose={() => setOpen(false)} />
      )}
      {item.caption && <div className="media-caption">{item.caption}</div>}
      {items.length > 1 && (
        <div className="media-slider">
          <button type="button" className="btn-icon" onClick={() => setIndex((i) => Math.max(0, i - 1))} disabled={index === 0} aria-label={t("media.prev")}>
            ‹
          </button>
          <input
            type="range"
            min={0}
            max={items.length - 1}
            value={index}
            onChange={(e) => setIndex(Number(e.target.value))}
            aria-label={t("media.stepSlider")}
            data-testid="media-step-slider"
          />
          <button
            type="button"
            className="btn-icon"
            onClick={() => setIndex((i) => Math.min(items.length - 1, i + 1))}
            disabled={index === items.length - 1}
            aria-label={t("media.next")}
          >
            ›
          </button>
        </div>
      )}
    </figure>
  );
}

export function MediaTab({ run }: { run: RunDetail }) {
  const { t } = useI18n();
  const groups = useMemo(() => {
    const byKey = new Map<string, MediaItem[]>();
    for (const item of run.media ?? []) {
      const list = byKey.get(item.key);
      if (list) list.push(item);
      else byKey.set(item.key, [item]);
    }
    for (const list of byKey.values()) list.sort((a, b) => (a.step ?? 0) - (b.step ?? 0) || (a.ts ?? 0) - (b.ts ?? 0));
    return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [run.media]);

  if (groups.length === 0) {
    return <EmptyState testId="media-empty" icon={<Icon name="image" size={18} />} title={t("media.none")} hint={<code className="mono">run.log_image("samples", image, step=step)</code>} />;
  }
  return (
    <div className="media-grid" data-testid="media">
      {groups.map(([key, items]) => (
        <MediaCard key={key} runId={run.id} mediaKey={key} items={items} />
      ))}
    </div>
  );
}
