/**
 * A version's flat `files` mapping ("train/data_batch_1.bin" → size, sha256) as a folder tree
 * with each folder's total size and file count, and the rows an expanded tree shows.
 */
import type { FileEntry } from "../../api/artifacts";

export interface FileNode {
  kind: "file";
  name: string;
  path: string;
  size: number;
  sha256: string;
}

export interface DirNode {
  kind: "dir";
  name: string;
  /** "" for the root, else the folder's path without a trailing slash. */
  path: string;
  size: number;
  fileCount: number;
  children: TreeNode[];
}

export type TreeNode = FileNode | DirNode;

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

function sortChildren(dir: DirNode): void {
  dir.children.sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === "dir" ? -1 : 1;
    return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  });
  for (const child of dir.children) if (child.kind === "dir") sortChildren(child);
}

/** Folders first, then files, each in natural order (batch_2 before batch_10). */
export function buildFileTree(files: Record<string, FileEntry>): DirNode {
  const root: DirNode = { kind: "dir", name: "", path: "", size: 0, fileCount: 0, children: [] };
  const dirs = new Map<string, DirNode>([["", root]]);

  for (const [path, entry] of Object.entries(files)) {
    const parts = path.split("/").filter(Boolean);
    const name = parts.pop();
    if (name === undefined) continue;
    const size = Number.isFinite(entry.size) ? entry.size : 0;
    root.size += size;
    root.fileCount += 1;
    let dir = root;
    let prefix = "";
    for (const part of parts) {
      prefix = prefix ? `${prefix}/${part}` : part;
      let child = dirs.get(prefix);
      if (!child) {
        child = { kind: "dir", name: part, path: prefix, size: 0, fileCount: 0, children: [] };
        dirs.set(prefix, child);
        dir.children.push(child);
      }
      child.size += size;
      child.fileCount += 1;
      dir = child;
    }
    dir.children.push({ kind: "file", name, path, size, sha256: entry.sha256 });
  }
  sortChildren(root);
  return root;
}

export interface TreeRow {
  node: TreeNode;
  depth: number;
  expanded: boolean;
}

/** The rows to draw: the root's children, and the children of every expanded folder. */
export function visibleRows(root: DirNode, expanded: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (dir: DirNode, depth: number) => {
    for (const node of dir.children) {
      const open = node.kind === "dir" && expanded.has(node.path);
      rows.push({ node, depth, expanded: open });
      if (node.kind === "dir" && open) walk(node, depth + 1);
    }
  };
  walk(root, 0);
  return rows;
}

/** Folders open at first: all of them for a small version, else the top level only. */
export function initiallyExpanded(root: DirNode, maxRows = 200): Set<string> {
  const all: string[] = [];
  const walk = (dir: DirNode) => {
    for (const node of dir.children) {
      if (node.kind === "dir") {
        all.push(node.path);
        walk(node);
      }
    }
  };
  walk(root);
  if (root.fileCount + all.length <= maxRows) return new Set(all);
  return new Set();
}
