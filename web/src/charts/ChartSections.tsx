import { useState, type ReactNode } from "react";
import { useI18n } from "../i18n/context";
import { groupKeys } from "../lib/metricKeys";

/** The pinned section's name: no metric prefix can be empty-bracketed like this. */
const PINNED = "[pinned]";

/** Metric charts in sections by key prefix (train/, val/, system/), each collapsible. */
export function ChartSections({
  keys,
  renderChart,
  collapsedByDefault = [],
  pinned = [],
  orderOf,
}: {
  keys: string[];
  renderChart: (key: string) => ReactNode;
  collapsedByDefault?: string[];
  /** Charts drawn first, in a "Pinned" section of their own (a workspace's pins). */
  pinned?: string[];
  /** A key's arranged position; keys of a section are drawn in that order (unarranged after). */
  orderOf?: (key: string) => number;
}) {
  const { t } = useI18n();
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const groups = groupKeys(keys).map((g) =>
    orderOf ? { ...g, keys: g.keys.map((k, i) => ({ k, i })).sort((a, b) => orderOf(a.k) - orderOf(b.k) || a.i - b.i).map((e) => e.k) } : g,
  );
  if (pinned.length > 0) groups.unshift({ name: PINNED, keys: pinned });
  return (
    <div className="chart-sections">
      {groups.map((group) => {
        const collapsed = collapsedByDefault.includes(group.name) !== toggled.has(group.name);
        return (
          <section key={group.name} className="chart-section" data-testid="chart-section" data-group={group.name === PINNED ? "pinned" : group.name || "_"}>
            <button
              type="button"
              className="section-header"
              aria-expanded={!collapsed}
              onClick={() =>
                setToggled((prev) => {
                  const next = new Set(prev);
                  if (next.has(group.name)) next.delete(group.name);
                  else next.add(group.name);
                  return next;
                })
              }
            >
              <span className="caret">{collapsed ? "▸" : "▾"}</span>
              <span>{group.name === PINNED ? t("workspace.pinned") : group.name ? `${group.name}/` : t("charts.general")}</span>
              <span className="count">{group.keys.length}</span>
            </button>
            {!collapsed && <div className="chart-grid">{group.keys.map((key) => renderChart(key))}</div>}
          </section>
        );
      })}
    </div>
  );
}
