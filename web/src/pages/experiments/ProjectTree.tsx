import { useState } from "react";
import type { ProjectItem } from "../../api/types";
import { ErrorState } from "../../components/States";
import { useI18n } from "../../i18n/context";

export interface ProjectTreeProps {
  projects: ProjectItem[] | undefined;
  /** The recycle bin is shown: no project entry is the current one. */
  inactive: boolean;
  error: unknown;
  project: string | null;
  name: string | null;
  onSelect: (project: string | null, name: string | null) => void;
  onRetry: () => void;
}

export function ProjectTree({ projects, inactive, error, project, name, onSelect, onRetry }: ProjectTreeProps) {
  const { t } = useI18n();
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const total = projects?.reduce((sum, p) => sum + p.runs, 0) ?? 0;

  const toggle = (key: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <nav className="project-tree" data-testid="project-tree" aria-label={t("projects.title")}>
      <div className="sidebar-title">{t("projects.title")}</div>
      {error !== undefined && !projects ? (
        <ErrorState error={error} onRetry={onRetry} testId="projects-error" />
      ) : (
        <ul>
          <li>
            <button
              type="button"
              className={`tree-item${!inactive && project === null ? " active" : ""}`}
              onClick={() => onSelect(null, null)}
              data-testid="tree-all"
            >
              <span className="tree-label">{t("projects.all")}</span>
              <span className="count">{projects ? total : "…"}</span>
            </button>
          </li>
          {projects?.length === 0 && <li className="tree-empty">{t("projects.none")}</li>}
          {projects?.map((p) => {
            const open = !collapsed.has(p.project);
            return (
              <li key={p.project}>
                <div className="tree-row">
                  <button
                    type="button"
                    className="tree-caret"
                    aria-label={open ? t("common.collapse") : t("common.expand")}
                    aria-expanded={open}
                    onClick={() => toggle(p.project)}
                  >
                    {open ? "▾" : "▸"}
                  </button>
                  <button
                    type="button"
                    className={`tree-item${!inactive && project === p.project && name === null ? " active" : ""}`}
                    onClick={() => onSelect(p.project, null)}
                    data-testid="tree-project"
                    data-project={p.project}
                    title={p.project}
                  >
                    <span className="tree-label">{p.project}</span>
                    {p.running ? (
                      <span className="count count-live" title={t("projects.running", { n: p.running })}>
                        {p.running}
                      </span>
                    ) : null}
                    <span className="count">{p.runs}</span>
                  </button>
                </div>
                {open && p.names.length > 0 && (
                  <ul className="tree-children">
                    {p.names.map((n) => (
                      <li key={n.name}>
                        <button
                          type="button"
                          className={`tree-item${!inactive && project === p.project && name === n.name ? " active" : ""}`}
                          onClick={() => onSelect(p.project, n.name)}
                          data-testid="tree-name"
                          data-project={p.project}
                          data-name={n.name}
                          title={n.name}
                        >
                          <span className="tree-label">{n.name}</span>
                          <span className="count">{n.runs}</span>
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}
