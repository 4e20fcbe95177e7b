import { useMemo, useState, type ReactNode } from "react";
import type { JsonValue } from "../api/types";
import { usePreference } from "../hooks/usePreference";
import { useI18n } from "../i18n/context";
import {
  addPanel,
  arrange,
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
  type Workspace,
} from "../lib/workspace";
import { ChartSections } from "./ChartSections";
import { WorkspaceItem } from "./WorkspaceItem";

export interface WorkspaceViewProps {
  project: string;
  /** The named view from the URL (null: the project's default). */
  view: string | null;
  onView: (view: string | null) => void;
  keys: string[];
  renderChart: (key: string) => ReactNode;
  collapsedByDefault?: string[];
  /** Without it the charts are drawn in plain sections (the System tab). */
  enabled: boolean;
  /** A custom panel's chart (several keys on one chart). */
  renderPanel?: (panel: CustomPanel, onRemove: () => void) => ReactNode;
}

/**
 * Chart sections arranged by the project's workspace view (`workspace.views` UI preference):
 * pinned charts first, the dragged order, hidden and wide charts. Every change is saved to the
 * view at once, so it holds after a reload and on every run of the project.
 */
export function WorkspaceView({ project, view, onView, keys, renderChart, collapsedByDefault, enabled, renderPanel }: WorkspaceViewProps) {
  const { t } = useI18n();
  const [stored, save] = usePreference<JsonValue>("workspace.views", {});
  const views = useMemo(() => parseViews(stored), [stored]);
  const [newName, setNewName] = useState("");
  const [panelKeys, setPanelKeys] = useState<string[]>([]);
  const name = view ?? DEFAULT_VIEW;
  const projectViews = views[project] ?? {};
  const ws: Workspace = projectViews[name] ?? EMPTY_WORKSPACE;
  const names = [...new Set([DEFAULT_VIEW, ...Object.keys(projectViews), name])];
  const arranged = useMemo(() => arrange(ws, keys), [ws, keys]);
  const shown = useMemo(() => [...arranged.pinned, ...arranged.rest], [arranged]);

  if (!enabled) return <ChartSections keys={keys} renderChart={renderChart} collapsedByDefault={collapsedByDefault} />;

  const store = (next: Workspace, as: string = name) =>
    save({ ...views, [project]: { ...projectViews, [as]: next } } as unknown as JsonValue);

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
      <div className="row gap-m wrap workspace-bar" data-testid="workspace-bar" data-view={name}>
        <label className="field" title={t("workspace.viewHint")}>
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
          <form
            className="row gap-s"
            onSubmit={(e) => {
              e.preventDefault();
              if (panelKeys.length === 0) return;
              store(addPanel(ws, panelKeys));
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
              <div key={panel.id} className="ws-item">
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
