import "./workspace.css";
import type { ReactNode } from "react";
import { useI18n } from "../i18n/context";

const DRAG_TYPE = "application/x-runicorn-chart";

export interface WorkspaceItemProps {
  chartKey: string;
  pinned: boolean;
  wide: boolean;
  onPin: () => void;
  onHide: () => void;
  onWide: () => void;
  /** `dragged` was dropped on this chart: move it before this one. */
  onDropBefore: (dragged: string) => void;
  children: ReactNode;
}

/**
 * A chart in the workspace: pin, widen, hide, and a handle to drag it before another chart. Only
 * the handle drags, so dragging on the plot still zooms.
 */
export function WorkspaceItem({ chartKey, pinned, wide, onPin, onHide, onWide, onDropBefore, children }: WorkspaceItemProps) {
  const { t } = useI18n();
  return (
    <div
      className={`ws-item${wide ? " ws-wide" : ""}`}
      data-testid="workspace-item"
      data-key={chartKey}
      data-pinned={pinned}
      data-wide={wide}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_TYPE)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "move";
        }
      }}
      onDrop={(e) => {
        const dragged = e.dataTransfer.getData(DRAG_TYPE);
        if (!dragged) return;
        e.preventDefault();
        onDropBefore(dragged);
      }}
    >
      <div className="ws-bar">
        <span
          className="ws-handle"
          draggable
          onDragStart={(e) => {
            e.dataTransfer.setData(DRAG_TYPE, chartKey);
            e.dataTransfer.effectAllowed = "move";
          }}
          title={t("workspace.drag")}
          aria-label={t("workspace.drag")}
          role="button"
          data-testid="ws-drag"
        >
          ⠿
        </span>
        <button type="button" className={`mini-btn${pinned ? " active" : ""}`} aria-pressed={pinned} onClick={onPin} title={pinned ? t("workspace.unpin") : t("workspace.pin")} data-testid="ws-pin">
          {pinned ? t("workspace.unpin") : t("workspace.pin")}
        </button>
        <button type="button" className={`mini-btn${wide ? " active" : ""}`} aria-pressed={wide} onClick={onWide} title={t("workspace.wide")} data-testid="ws-wide">
          ↔
        </button>
        <button type="button" className="mini-btn" onClick={onHide} title={t("workspace.hide")} data-testid="ws-hide">
          {t("workspace.hide")}
        </button>
      </div>
      {children}
    </div>
  );
}
