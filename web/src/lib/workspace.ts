/**
 * A chart workspace: which charts are pinned to the top, the order the user dragged them into,
 * which are hidden and which are drawn wide. Saved per project as named views (a UI preference),
 * so one arrangement serves every run of the project. Keys a run lacks are kept (another run may
 * log them) and simply not drawn.
 */

export type ChartSize = "wide";

/** A chart of the user's own: several metrics on one chart (`train/loss` with `val/loss`). */
export interface KeysPanel {
  id: string;
  kind: "keys";
  keys: string[];
}

/**
 * One metric against another (`val/acc` against `train/loss`), or against {@link STEP_AXIS}:
 * points where both were logged at the same step.
 */
export interface KeyVsKeyPanel {
  id: string;
  kind: "xy";
  x: string;
  y: string;
}

export type CustomPanel = KeysPanel | KeyVsKeyPanel;

/** The x of a key-vs-key panel that means the training step itself. */
export const STEP_AXIS = "_step";

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

/** Views per scope: `{scope: {viewName: Workspace}}` (a scope is a project on the run page). */
export type WorkspaceViews = Record<string, Record<string, Workspace>>;

/**
 * Where a page keeps its views: the UI preference and the scope inside it. Run pages share one
 * per project; the compare page has its own, one for every comparison whatever its projects.
 */
export interface WorkspaceScope {
  preference: string;
  scope: string;
}

export function runScope(project: string): WorkspaceScope {
  return { preference: "workspace.views", scope: project };
}

export const COMPARE_SCOPE: WorkspaceScope = { preference: "workspace.compareViews", scope: "compare" };

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
  const panels = Array.isArray(v.panels) ? (v.panels as unknown[]).flatMap(parsePanel) : [];
  return { panels, pinned: strings(v.pinned), order: strings(v.order), hidden: strings(v.hidden), sizes };
}

/** One stored panel, or none if malformed; panels saved before `kind` existed are `keys`. */
function parsePanel(value: unknown): CustomPanel[] {
  if (typeof value !== "object" || value === null) return [];
  const { id, kind, keys, x, y } = value as Record<string, unknown>;
  if (typeof id !== "string") return [];
  if (kind === "xy") return typeof x === "string" && typeof y === "string" && x && y ? [{ id, kind, x, y }] : [];
  if (kind !== undefined && kind !== "keys") return [];
  const list = strings(keys);
  return list.length > 0 ? [{ id, kind: "keys", keys: list }] : [];
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
  return { ...ws, panels: [...ws.panels, { id: uniqueId(ws, list.join("+")), kind: "keys", keys: list }] };
}

/** A new panel of `y` against `x` (a key or {@link STEP_AXIS}); its id reads `y@x`. */
export function addKeyVsKeyPanel(ws: Workspace, x: string, y: string): Workspace {
  if (!x || !y || x === y) return ws;
  return { ...ws, panels: [...ws.panels, { id: uniqueId(ws, `${y}@${x}`), kind: "xy", x, y }] };
}

function uniqueId(ws: Workspace, base: string): string {
  let id = base;
  for (let n = 2; ws.panels.some((p) => p.id === id); n++) id = `${base}#${n}`;
  return id;
}

/** The metric keys a panel reads. */
export function panelKeys(panel: CustomPanel): string[] {
  if (panel.kind === "keys") return panel.keys;
  return panel.x === STEP_AXIS ? [panel.y] : [panel.x, panel.y];
}

/** `views` with `ws` saved as `name` in `scope`, the other scopes and views untouched. */
export function withView(views: WorkspaceViews, scope: string, name: string, ws: Workspace): WorkspaceViews {
  return { ...views, [scope]: { ...(views[scope] ?? {}), [name]: ws } };
}

export function removePanel(ws: Workspace, id: string): Workspace {
  return { ...ws, panels: ws.panels.filter((p) => p.id !== id) };
}
