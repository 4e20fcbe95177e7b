import { useState, type ReactNode } from "react";
import { useI18n } from "../i18n/context";
import { groupKeys } from "../lib/metricKeys";

/** Metric charts in sections by key prefix (train/, val/, system/), each collapsible. */
export function ChartSections({
  keys,
  renderChart,
  collapsedByDefault = [],
}: {
  keys: string[];
  renderChart: (key: string) => ReactNode;
  collapsedByDefault?: string[];
}) {
  const { t } = useI18n();
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const groups = groupKeys(keys);
  return (
    <div className="chart-sections">
      {groups.map((group) => {
        const collapsed = collapsedByDefault.includes(group.name) !== toggled.has(group.name);
        return (
          <section key={group.name} className="chart-section" data-testid="chart-section" data-group={group.name || "_"}>
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
              <span>{group.name ? `${group.name}/` : t("charts.general")}</span>
              <span className="count">{group.keys.length}</span>
            </button>
            {!collapsed && <div className="chart-grid">{group.keys.map((key) => renderChart(key))}</div>}
          </section>
        );
      })}
    </div>
  );
}
