/**
 * POSIX paths on the remote host, as the folder browser and the storage-root field use them.
 * Pure string work: the server expands `~` and resolves everything else over SFTP.
 */

/** Collapses repeated slashes and drops a trailing one ("/" and "~" stay as they are). */
export function normalizeRemotePath(path: string): string {
  const trimmed = path.trim();
  if (trimmed === "") return "";
  const collapsed = trimmed.replace(/\/{2,}/g, "/");
  if (collapsed === "/") return "/";
  return collapsed.replace(/\/+$/, "");
}

/** `name` inside `base`; an absolute or `~` name stands on its own. */
export function joinRemotePath(base: string, name: string): string {
  const child = name.trim();
  if (child.startsWith("/") || child === "~" || child.startsWith("~/")) return normalizeRemotePath(child);
  const parent = normalizeRemotePath(base);
  if (parent === "") return normalizeRemotePath(child);
  if (child === "") return parent;
  return normalizeRemotePath(parent === "/" ? `/${child}` : `${parent}/${child}`);
}

/** The folder holding `path`, or null at the top ("/", "~", a bare relative name). */
export function parentRemotePath(path: string): string | null {
  const p = normalizeRemotePath(path);
  if (p === "" || p === "/" || p === "~") return null;
  const cut = p.lastIndexOf("/");
  if (cut < 0) return null;
  if (cut === 0) return "/";
  return p.slice(0, cut);
}

export interface PathCrumb {
  label: string;
  path: string;
}

/** Breadcrumbs from the top: "/data/runs" gives "/", "data", "runs"; "~/x" gives "~", "x". */
export function remotePathCrumbs(path: string): PathCrumb[] {
  const p = normalizeRemotePath(path);
  if (p === "") return [];
  const crumbs: PathCrumb[] = [];
  let rest: string;
  let current: string;
  if (p.startsWith("/")) {
    crumbs.push({ label: "/", path: "/" });
    rest = p.slice(1);
    current = "";
  } else if (p === "~" || p.startsWith("~/")) {
    crumbs.push({ label: "~", path: "~" });
    rest = p.slice(2);
    current = "~";
  } else {
    rest = p;
    current = "";
  }
  for (const part of rest.split("/")) {
    if (!part) continue;
    current = current === "" ? (p.startsWith("/") ? `/${part}` : part) : `${current}/${part}`;
    crumbs.push({ label: part, path: current });
  }
  return crumbs;
}

/** Whether a name is hidden by the Unix convention. */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".");
}
