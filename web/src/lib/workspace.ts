/**
 * A chart workspace: which charts are pinned to the top, the order the user dragged them into,
 * which are hidden and which are drawn wide. Saved per project as named views (a UI preference),
 * so one arrangement serves every run of the project. Keys a run lacks are kept (another run may
 * log them) and simply not drawn.
 */

export type ChartSize = "wide";

/** A chart of the user's own: several metrics on one chart (`train/loss` with `val/loss`). */
export interface CustomPanel {
  id: string;
  keys: string[];
}

export interface Workspace {
  /** Custom panels, drawn first. */
  panels: CustomPanel[];
  pinned: string[];
  /** Keys in the order the user arranged them; keys not listed keep their natural place after. */
  order: string[];
  hidden: string[];
  sizes: Record<string, ChartSize>;
}

export const EMPTY_WORKSPACE: Workspace = { panels: [], pinned: [], order: [], hidden: [], sizes: {} };
export const DEFAULT_VIEW = "default";

/** Views per project: `{project: {viewName: Workspace}}`. */
export type WorkspaceViews = Record<string, Record<string, Workspace>>;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? [...new Set(value.filter((v): v is string => typeof v === "string"))] : [];
}

/** A stored workspace read defensively (anything malformed becomes empty). */
export function parseWorkspace(value: unknown): Workspace {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return EMPTY_WORKSPACE;
  const v = value as Record<string, unknown>;
  const sizes: Record<string, ChartSize> = {};
  if (typeof v.sizes === "object" && v.sizes !== null) {
    for (const [k, s] of Object.entries(v.sizes as Record<string, unknown>)) if (s === "wide") sizes[k] = "wide";
  }
  const panels: CustomPanel[] = [];
  if (Array.isArray(v.panels)) {
    for (const p of v.panels as unknown[]) {
      if (typeof p !== "object" || p === null) continue;
      const { id, keys } = p as Record<string, unknown>;
      const list = strings(keys);
      if (typeof id === "string" && list.length > 0) panels.push({ id, keys: list });
    }
  }
  return { panels, pinned: strings(v.pinned), order: strings(v.order), hidden: strings(v.hidden), sizes };
}

export function parseViews(value: unknown): WorkspaceViews {
  const out: WorkspaceViews = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return out;
  for (const [project, views] of Object.entries(value as Record<string, unknown>)) {
    if (typeof views !== "object" || views === null || Array.isArray(views)) continue;
    out[project] = {};
    for (const [name, ws] of Object.entries(views as Record<string, unknown>)) out[project][name] = parseWorkspace(ws);
  }
  return out;
}

export function togglePin(ws: Workspace, key: string): Workspace {
  const pinned = ws.pinned.includes(key) ? ws.pinned.filter((k) => k !== key) : [...ws.pinned, key];
  return { ...ws, pinned, hidden: ws.hidden.filter((k) => k !== key) };
}

export function toggleHidden(ws: Workspace, key: string): Workspace {
  const hidden = ws.hidden.includes(key) ? ws.hidden.filter((k) => k !== key) : [...ws.hidden, key];
  return { ...ws, hidden, pinned: ws.pinned.filter((k) => k !== key) };
}

export function showAll(ws: Workspace): Workspace {
  return { ...ws, hidden: [] };
}

export function toggleWide(ws: Workspace, key: string): Workspace {
  const sizes = { ...ws.sizes };
  if (key in sizes) Reflect.deleteProperty(sizes, key);
  else sizes[key] = "wide";
  return { ...ws, sizes };
}

/**
 * `key` moved just before `target` among `shown` (the keys as drawn now). A pinned key moves
 * within the pinned ones; the drawn order becomes the saved order.
 */
export function moveBefore(ws: Workspace, shown: readonly string[], key: string, target: string): Workspace {
  if (key === target) return ws;
  if (ws.pinned.includes(key) && ws.pinned.includes(target)) {
    return { ...ws, pinned: insertBefore(ws.pinned, key, target) };
  }
  const current = [...shown, ...ws.order.filter((k) => !shown.includes(k))];
  return { ...ws, order: insertBefore(current, key, target) };
}

function insertBefore(list: readonly string[], key: string, target: string): string[] {
  const without = list.filter((k) => k !== key);
  const at = without.indexOf(target);
  if (at < 0) return [...without, key];
  return [...without.slice(0, at), key, ...without.slice(at)];
}

/** Pinned keys present in `keys` (in pin order), then the rest not hidden, in the saved order. */
export function arrange(ws: Workspace, keys: readonly string[]): { pinned: string[]; rest: string[]; hidden: string[] } {
  const present = new Set(keys);
  const pinned = ws.pinned.filter((k) => present.has(k));
  const pinnedSet = new Set(pinned);
  const hiddenSet = new Set(ws.hidden);
  const rank = new Map(ws.order.map((k, i) => [k, i]));
  const rest = keys
    .filter((k) => !pinnedSet.has(k) && !hiddenSet.has(k))
    .map((k, i) => ({ k, i }))
    .sort((a, b) => (rank.get(a.k) ?? Infinity) - (rank.get(b.k) ?? Infinity) || a.i - b.i)
    .map((e) => e.k);
  return { pinned, rest, hidden: keys.filter((k) => hiddenSet.has(k)) };
}

/** The saved position of each key, to order the keys of one section (unsaved keys after). */
export function orderIndex(ws: Workspace): (key: string) => number {
  const rank = new Map(ws.order.map((k, i) => [k, i]));
  return (key) => rank.get(key) ?? Infinity;
}

/** A new panel of `keys` (at least one); its id is the keys, made unique among the panels. */
export function addPanel(ws: Workspace, keys: readonly string[]): Workspace {
  const list = [...new Set(keys)];
  if (list.length === 0) return ws;
  const base = list.join("+");
  let id = base;
  for (let n = 2; ws.panels.some((p) => p.id === id); n++) id = `${base}#${n}`;
  return { ...ws, panels: [...ws.panels, { id, keys: list }] };
}

export function removePanel(ws: Workspace, id: string): Workspace {
  return { ...ws, panels: ws.panels.filter((p) => p.id !== id) };
}
