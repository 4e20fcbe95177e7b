import { useI18n } from "../i18n/context";
import { RUN_GROUP_FIELDS } from "../lib/groupPalette";
import { GROUP_BANDS, type GroupBand } from "../lib/groupStats";
import type { CompareLine } from "./build";

export interface GroupControlsProps {
  groupBy: string | null;
  band: GroupBand;
  /** Config keys offered besides tags, status, name and project. */
  configKeys: readonly string[];
  /** The drawn lines: with grouping on, listed as a legend with each group's size. */
  lines: readonly CompareLine[];
  grouped: boolean;
  onGroupBy: (field: string | null) => void;
  onBand: (band: GroupBand) => void;
}

/** Group-by field, the groups' band, and the groups' legend (colour, name, member count). */
export function GroupControls({ groupBy, band, configKeys, lines, grouped, onGroupBy, onBand }: GroupControlsProps) {
  const { t } = useI18n();
  return (
    <>
      <label className="field">
        <span>{t("compare.groupBy")}</span>
        <select className="input" value={groupBy ?? ""} onChange={(e) => onGroupBy(e.target.value || null)} data-testid="group-by-select">
          <option value="">{t("compare.noGrouping")}</option>
          {RUN_GROUP_FIELDS.map((f) => (
            <option key={f} value={f}>
              {f.slice(1)}
            </option>
          ))}
          {configKeys.map((k) => (
            <option key={k} value={k}>
              config.{k}
            </option>
          ))}
        </select>
      </label>
      {grouped && (
        <label className="field">
          <span>{t("compare.band")}</span>
          <select className="input" value={band} onChange={(e) => onBand(e.target.value as GroupBand)} data-testid="group-band-select">
            {GROUP_BANDS.map((b) => (
              <option key={b} value={b}>
                {t(`compare.band.${b}`)}
              </option>
            ))}
          </select>
        </label>
      )}
      {grouped && (
        <ul className="legend legend-groups" data-testid="group-legend">
          {lines.map((line) => (
            <li key={line.id} className="legend-item" data-testid="group-item">
              <span className="swatch" style={{ background: line.color }} />
              <span className="mono">{line.label}</span>
              <span className="muted small">n={line.members.length}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
