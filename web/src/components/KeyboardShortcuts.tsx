import { useEffect, useRef, useState } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { api } from "../api/client";
import { useI18n } from "../i18n/context";
import { quoteValue } from "../lib/filterSyntax";
import "./KeyboardShortcuts.css";

/** Search boxes `/` focuses, the first one on the page winning. */
const SEARCH_BOXES = ["filter-input", "chart-search", "logs-search", "config-search", "environment-search", "column-search"];
const DEFAULT_SMOOTHING = "0.6";

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/** The run before or after `runId` among its project's runs, newest first. */
async function neighbour(runId: string, step: 1 | -1): Promise<string | null> {
  const run = await api.run(runId);
  const page = await api.experiments({ filter: `project = ${quoteValue(run.project)}`, sort: "-created_at", limit: 1000 });
  const index = page.items.findIndex((r) => r.id === runId);
  const next = index < 0 ? undefined : page.items[index + step];
  return next?.id ?? null;
}

/**
 * Keys for the common moves, anywhere but in a text box: `/` search, `j`/`k` next and previous
 * run, `s` smoothing on and off, `?` this list.
 */
export function KeyboardShortcuts() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const [, setParams] = useSearchParams();
  const [help, setHelp] = useState(false);
  const lastSmoothing = useRef(DEFAULT_SMOOTHING);
  const state = useRef({ pathname, help });
  useEffect(() => {
    state.current = { pathname, help };
  });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const { pathname: path, help: open } = state.current;
      const runId = /^\/runs\/([^/]+)/.exec(path)?.[1];
      if (e.key === "?") setHelp((h) => !h);
      else if (e.key === "Escape" && open) setHelp(false);
      else if (e.key === "/") {
        const box = SEARCH_BOXES.map((id) => document.querySelector<HTMLInputElement>(`[data-testid="${id}"]`)).find(Boolean);
        if (!box) return;
        box.focus();
        box.select();
      } else if ((e.key === "j" || e.key === "k") && runId) {
        void neighbour(decodeURIComponent(runId), e.key === "j" ? 1 : -1).then(
          (id) => id && void navigate(`/runs/${encodeURIComponent(id)}${window.location.search}`),
          () => undefined,
        );
      } else if (e.key === "s" && (runId || path === "/compare")) {
        // The address bar, not the last render: two quick presses must toggle twice.
        const next = new URLSearchParams(window.location.search);
        const current = next.get("smooth");
        if (current && Number(current) > 0) {
          lastSmoothing.current = current;
          next.set("smooth", "0");
        } else next.set("smooth", lastSmoothing.current);
        setParams(next, { replace: true });
      } else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate, setParams]);

  if (!help) return null;
  const rows: [string, string][] = [
    ["/", t("keys.search")],
    ["j", t("keys.nextRun")],
    ["k", t("keys.previousRun")],
    ["s", t("keys.smoothing")],
    ["←  →", t("keys.mediaSteps")],
    ["?", t("keys.help")],
    ["Esc", t("keys.close")],
  ];
  return (
    <div className="shortcuts-backdrop" onClick={() => setHelp(false)}>
      <div className="shortcuts-help" role="dialog" aria-label={t("keys.title")} data-testid="shortcuts-help" onClick={(e) => e.stopPropagation()}>
        <h3>{t("keys.title")}</h3>
        <table>
          <tbody>
            {rows.map(([key, what]) => (
              <tr key={key}>
                <td>
                  <kbd>{key}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
