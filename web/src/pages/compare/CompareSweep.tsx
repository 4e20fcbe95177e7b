import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { api } from "../../api/client";
import type { RunItem } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { useI18n } from "../../i18n/context";
import { quoteValue } from "../../lib/filterSyntax";
import { runHref } from "../../lib/urlState";
import type { Brush } from "../experiments/sweep/sweepMath";
import { SweepPanel, type SweepMode } from "../experiments/sweep/SweepPanel";

/**
 * The sweep views over the compared runs. Brushing hides the runs outside the brushes from the
 * charts and the legend; clearing the brushes shows them again.
 */
export function CompareSweep({ runs, onHidden }: { runs: readonly RunItem[]; onHidden: (hidden: string[]) => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<SweepMode>("parallel");
  const [brushes, setBrushes] = useState<Brush[]>([]);
  const fields = useAsync(open ? "fields" : null, (signal) => api.fields(signal));
  const filter = useMemo(() => `id in (${runs.map((r) => quoteValue(r.id)).join(", ")})`, [runs]);
  const all = useMemo(() => runs.map((r) => r.id), [runs]);
  // The page's callback may change on every render; the panel's must not (it runs an effect).
  const hide = useRef(onHidden);
  useEffect(() => {
    hide.current = onHidden;
  }, [onHidden]);
  const sent = useRef("");
  const onSelection = useCallback(
    (ids: string[] | null) => {
      // Without a brush the runs the user hid by hand stay hidden.
      if (ids === null) return;
      const keep = new Set(ids);
      const hidden = all.filter((id) => !keep.has(id));
      const text = hidden.join(",");
      if (text === sent.current) return;
      sent.current = text;
      hide.current(hidden);
    },
    [all],
  );
  return (
    <div className="compare-sweep">
      <button
        type="button"
        className={`btn btn-small${open ? " active" : ""}`}
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid="sweep-toggle"
      >
        {t("sweep.toggle")}
      </button>
      {open && runs.length > 0 && (
        <SweepPanel
          fields={fields.data}
          filter={filter}
          mode={mode}
          onMode={setMode}
          brushes={brushes}
          onBrushes={(next) => {
            setBrushes(next);
            if (next.length === 0) {
              sent.current = "";
              onHidden([]);
            }
          }}
          onOpen={(id) => void navigate(runHref(id))}
          onSelection={onSelection}
        />
      )}
    </div>
  );
}
