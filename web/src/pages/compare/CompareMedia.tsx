import { useMemo, useRef, useState } from "react";
import { api, errorMessage } from "../../api/client";
import type { MediaItem, RunItem } from "../../api/types";
import { Lightbox } from "../../components/Lightbox";
import { useAsync } from "../../hooks/useAsync";
import { useInView } from "../../hooks/useInView";
import { useI18n } from "../../i18n/context";
import "./compareMedia.css";
import { byStep, indexAtOrBefore, isImagePath, sliderIndex, unionSteps } from "../../lib/mediaSteps";

export interface CompareMediaProps {
  /** The runs shown side by side (the compare page's visible ones). */
  runs: RunItem[];
  /** Every compared run id: their media are read once, whatever is hidden later. */
  allIds: string[];
  colorOf: (id: string) => string;
  /** The image key (`media` in the URL; null = the first one). */
  mediaKey: string | null;
  /** The chosen step (`mstep`; null = the last). */
  step: number | null;
  onChange: (change: { mediaKey?: string | null; mediaStep?: number | null }) => void;
}

/** Each run's images, read from its details once the section comes into view. */
async function loadMedia(ids: string[], signal: AbortSignal): Promise<Record<string, MediaItem[]>> {
  const details = await Promise.all(ids.map((id) => api.run(id, signal)));
  return Object.fromEntries(details.map((run) => [run.id, (run.media ?? []).filter((m) => isImagePath(m.path))]));
}

/**
 * One image key across the compared runs, a column per run at one step (a shared slider; each run
 * shows its image at that step or the nearest before it). A click opens the lightbox on that run's
 * images of the key.
 */
export function CompareMedia({ runs, allIds, colorOf, mediaKey, step, onChange }: CompareMediaProps) {
  const { t } = useI18n();
  const ref = useRef<HTMLElement>(null);
  const inView = useInView(ref);
  const idsKey = allIds.join(",");
  const media = useAsync(inView && idsKey ? `compare-media:${idsKey}` : null, (signal) => loadMedia(allIds, signal));
  const [open, setOpen] = useState<{ runId: string; index: number } | null>(null);

  const keys = useMemo(() => [...new Set(Object.values(media.data ?? {}).flatMap((items) => items.map((m) => m.key)))].sort(), [media.data]);
  const key = mediaKey !== null && keys.includes(mediaKey) ? mediaKey : keys.length > 0 ? keys[0] : null;
  const perRun = useMemo(() => {
    const out: Record<string, MediaItem[]> = {};
    for (const run of runs) out[run.id] = byStep((media.data?.[run.id] ?? []).filter((m) => m.key === key));
    return out;
  }, [runs, media.data, key]);
  const steps = useMemo(() => unionSteps(Object.values(perRun)), [perRun]);
  const at = sliderIndex(steps, step);
  const chosen = at >= 0 ? steps[at] : null;

  const body = () => {
    if (!media.data) return <div className="muted small">{media.error ? errorMessage(media.error) : t("compare.mediaLoading")}</div>;
    if (key === null || chosen === null) return <div className="muted small">{t("compare.mediaNone")}</div>;
    return (
      <>
        <div className="row gap-m wrap">
          <label className="field">
            <span>{t("compare.mediaKey")}</span>
            <select className="input" value={key} onChange={(e) => onChange({ mediaKey: e.target.value, mediaStep: null })} data-testid="compare-media-key">
              {keys.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <div className="media-slider compare-media-slider">
            <input
              type="range"
              min={0}
              max={Math.max(0, steps.length - 1)}
              value={at}
              onChange={(e) => onChange({ mediaStep: steps[Number(e.target.value)] })}
              aria-label={t("media.stepSlider")}
              disabled={steps.length < 2}
              data-testid="compare-media-slider"
            />
            <span className="mono small" data-testid="compare-media-step" data-step={chosen}>
              {t("compare.mediaStep", { step: chosen })}
            </span>
          </div>
        </div>
        <div className="compare-media-row" data-testid="compare-media-row">
          {runs.map((run) => {
            const items = (perRun[run.id] as MediaItem[] | undefined) ?? [];
            const index = indexAtOrBefore(items, chosen);
            const item = index >= 0 ? items[index] : null;
            return (
              <figure key={run.id} className="media-card compare-media-cell" data-testid="compare-media-cell" data-run-id={run.id} data-step={item?.step ?? ""}>
                <figcaption className="media-head">
                  <span className="swatch" style={{ background: colorOf(run.id) }} />
                  <span className="chart-title" title={run.name}>
                    {run.name}
                  </span>
                  {item && <span className="muted small mono">{t("compare.mediaShownStep", { step: item.step ?? "—" })}</span>}
                </figcaption>
                <div className="media-frame">
                  {item ? (
                    <button type="button" className="media-open" onClick={() => setOpen({ runId: run.id, index })} title={t("media.open")} data-testid="compare-media-open">
                      <img
                        src={api.mediaUrl(run.id, item.path)}
                        alt={item.caption ?? `${run.name} ${key}`}
                        loading="lazy"
                        onLoad={(e) => {
                          // Small samples are enlarged with crisp pixels, as on the run page.
                          const img = e.currentTarget;
                          img.classList.toggle("pixelated", img.naturalWidth > 0 && img.naturalWidth < 160);
                        }}
                        data-testid="compare-media-image"
                      />
                    </button>
                  ) : (
                    <div className="chart-state muted small">{t("compare.mediaNoImage", { step: chosen })}</div>
                  )}
                </div>
              </figure>
            );
          })}
        </div>
      </>
    );
  };

  // Runs without images get no section at all; the empty element still tells when it is in view.
  if (media.data && keys.length === 0) return <section ref={ref} className="compare-media-none" data-testid="compare-media-empty" />;

  const openItems = open ? ((perRun[open.runId] as MediaItem[] | undefined) ?? []) : [];
  const openRun = open ? runs.find((r) => r.id === open.runId) : undefined;
  return (
    <section ref={ref} className="chart-section compare-media" data-testid="compare-media" data-key={key ?? ""}>
      <div className="section-header">
        <span>{t("compare.media")}</span>
      </div>
      {body()}
      {open && openRun && openItems.length > 0 && (
        <Lightbox
          title={`${openRun.name} · ${key ?? ""}`}
          items={openItems.map((m) => ({ url: api.mediaUrl(openRun.id, m.path), step: m.step, caption: m.caption }))}
          index={Math.min(open.index, openItems.length - 1)}
          onIndex={(index) => setOpen({ runId: open.runId, index })}
          onClose={() => setOpen(null)}
        />
      )}
    </section>
  );
}
