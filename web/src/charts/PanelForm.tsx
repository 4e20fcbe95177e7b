import { useState } from "react";
import { useI18n } from "../i18n/context";
import { isSystemKey } from "../lib/metricKeys";
import { STEP_AXIS } from "../lib/workspace";

export interface PanelFormProps {
  keys: readonly string[];
  onAddKeys: (keys: string[]) => void;
  onAddKeyVsKey: (x: string, y: string) => void;
}

/** The workspace bar's two ways to make a panel: several keys on one chart, or one key against another. */
export function PanelForm({ keys, onAddKeys, onAddKeyVsKey }: PanelFormProps) {
  const { t } = useI18n();
  const [panelKeys, setPanelKeys] = useState<string[]>([]);
  const [x, setX] = useState("");
  const [y, setY] = useState("");
  const canAddXY = x !== "" && y !== "" && x !== y;
  // system/* samples have no step to join on.
  const stepKeys = keys.filter((k) => !isSystemKey(k));
  return (
    <>
      <form
        className="row gap-s"
        onSubmit={(e) => {
          e.preventDefault();
          if (panelKeys.length === 0) return;
          onAddKeys(panelKeys);
          setPanelKeys([]);
        }}
      >
        <select
          multiple
          className="input panel-keys"
          value={panelKeys}
          onChange={(e) => setPanelKeys([...e.target.selectedOptions].map((o) => o.value))}
          title={t("workspace.panelKeys")}
          aria-label={t("workspace.panelKeys")}
          data-testid="panel-keys"
        >
          {keys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <button type="submit" className="btn btn-small" disabled={panelKeys.length === 0} data-testid="panel-add">
          {t("workspace.addPanel")}
        </button>
      </form>
      <form
        className="row gap-s"
        title={t("workspace.xyHint")}
        onSubmit={(e) => {
          e.preventDefault();
          if (!canAddXY) return;
          onAddKeyVsKey(x, y);
          setX("");
          setY("");
        }}
      >
        <select className="input" value={y} onChange={(e) => setY(e.target.value)} aria-label={t("workspace.xyY")} data-testid="panel-xy-y">
          <option value="">{t("workspace.xyY")}</option>
          {stepKeys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <span className="muted small">{t("workspace.xyAgainst")}</span>
        <select className="input" value={x} onChange={(e) => setX(e.target.value)} aria-label={t("workspace.xyX")} data-testid="panel-xy-x">
          <option value="">{t("workspace.xyX")}</option>
          <option value={STEP_AXIS}>{STEP_AXIS}</option>
          {stepKeys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <button type="submit" className="btn btn-small" disabled={!canAddXY} data-testid="panel-xy-add">
          {t("workspace.addXYPanel")}
        </button>
      </form>
    </>
  );
}
