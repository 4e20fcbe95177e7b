import { useMemo, useState, type ReactNode } from "react";
import type { JsonValue } from "../api/types";
import { usePreference } from "../hooks/usePreference";
import { useI18n } from "../i18n/context";
import {
  addKeyVsKeyPanel,
  addPanel,
  arrange,
  COMPARE_SCOPE,
  removePanel,
  type CustomPanel,
  DEFAULT_VIEW,
  EMPTY_WORKSPACE,
  moveBefore,
  orderIndex,
  parseViews,
  showAll,
  toggleHidden,
  togglePin,
  toggleWide,
  withView,
  type Workspace,
  type WorkspaceScope,
} from "../lib/workspace";
import { ChartSections } from "./ChartSections";
import { PanelForm } from "./PanelForm";
import { WorkspaceItem } from "./WorkspaceItem";

export interface WorkspaceViewProps {
  /** Where the views are kept: the run's project, or the compare page's own scope. */
  scope: WorkspaceScope;
  /** The named view from the URL (null: the scope's default). */
  view: string | null;
  onView: (view: string | null) => void;
  keys: string[];
  renderChart: (key: string) => ReactNode;
  collapsedByDefault?: string[];
  /** Without it the charts are drawn in plain sections (the System tab). */
  enabled: boolean;
  /** A custom panel's chart (several keys on one chart, or one key against another). */
  renderPanel?: (panel: CustomPanel, onRemove: () => void) => ReactNode;
}

/**
 * Chart sections arranged by a workspace view kept as a UI preference (the run page's per
 * project, the compare page's own): pinned charts first, the dragged order, hidden and wide
 * charts, custom panels. Every change is saved to the view at once, so it holds after a reload
 * and on every run (or comparison) the scope covers.
 */
export function WorkspaceView({ scope, view, onView, keys, renderChart, collapsedByDefault, enabled, renderPanel }: WorkspaceViewProps) {
  const { t } = useI18n();
  const [stored, save] = usePreference<JsonValue>(scope.preference, {});
  const views = useMemo(() => parseViews(stored), [stored]);
  const [newName, setNewName] = useState("");
  const name = view ?? DEFAULT_VIEW;
  const scopeViews = views[scope.scope] ?? {};
  const ws: Workspace = scopeViews[name] ?? EMPTY_WORKSPACE;
  const names = [...new Set([DEFAULT_VIEW, ...Object.keys(scopeViews), name])];
  const arranged = useMemo(() => arrange(ws, keys), [ws, keys]);
  const shown = useMemo(() => [...arranged.pinned, ...arranged.rest], [arranged]);

  if (!enabled) return <ChartSections keys={keys} renderChart={renderChart} collapsedByDefault={collapsedByDefault} />;

  const store = (next: Workspace, as: string = name) => save(withView(views, scope.scope, as, next) as unknown as JsonValue);

  const item = (key: string) => (
    <WorkspaceItem
      key={key}
      chartKey={key}
      pinned={arranged.pinned.includes(key)}
      wide={key in ws.sizes}
      onPin={() => store(togglePin(ws, key))}
      onHide={() => store(toggleHidden(ws, key))}
      onWide={() => store(toggleWide(ws, key))}
      onDropBefore={(dragged) => store(moveBefore(ws, shown, dragged, key))}
    >
      {renderChart(key)}
    </WorkspaceItem>
  );

  return (
    <>
      <div className="row gap-m wrap workspace-bar" data-testid="workspace-bar" data-view={name} data-scope={scope.scope}>
        <label className="field" title={scope.preference === COMPARE_SCOPE.preference ? t("workspace.compareViewHint") : t("workspace.viewHint")}>
          <span>{t("workspace.view")}</span>
          <select className="input" value={name} onChange={(e) => onView(e.target.value === DEFAULT_VIEW ? null : e.target.value)} data-testid="workspace-view-select">
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <form
          className="row gap-s"
          onSubmit={(e) => {
            e.preventDefault();
            const as = newName.trim();
            if (!as) return;
            store(ws, as);
            setNewName("");
            onView(as === DEFAULT_VIEW ? null : as);
          }}
        >
          <input className="input" value={newName} onChange={(e) => setNewName(e.target.value)} placeholder={t("workspace.newView")} aria-label={t("workspace.newView")} data-testid="workspace-view-name" />
          <button type="submit" className="btn btn-small" data-testid="workspace-view-save">
            {t("workspace.saveView")}
          </button>
        </form>
        {renderPanel && (
          <PanelForm keys={keys} onAddKeys={(list) => store(addPanel(ws, list))} onAddKeyVsKey={(x, y) => store(addKeyVsKeyPanel(ws, x, y))} />
        )}
        {arranged.hidden.length > 0 && (
          <button type="button" className="btn btn-small" onClick={() => store(showAll(ws))} data-testid="workspace-show-hidden">
            {t("workspace.showHidden", { n: arranged.hidden.length })}
          </button>
        )}
      </div>
      {renderPanel && ws.panels.length > 0 && (
        <section className="chart-section" data-testid="chart-section" data-group="panels">
          <div className="section-header">
            <span>{t("workspace.panels")}</span>
            <span className="count">{ws.panels.length}</span>
          </div>
          <div className="chart-grid">
            {ws.panels.map((panel) => (
              <div key={panel.id} className={`ws-item${panel.kind === "xy" ? " ws-xy" : ""}`}>
                {renderPanel(panel, () => store(removePanel(ws, panel.id)))}
              </div>
            ))}
          </div>
        </section>
      )}
      <ChartSections
        keys={arranged.rest}
        pinned={arranged.pinned}
        orderOf={orderIndex(ws)}
        renderChart={item}
        collapsedByDefault={collapsedByDefault}
      />
    </>
  );
}
