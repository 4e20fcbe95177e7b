/** What a lineage node is called and which page it opens (no layout code: cheap to import). */
import type { LineageNode } from "../../api/artifacts";
import { runHref } from "../../lib/urlState";
import { versionHref } from "./links";

export function nodeHref(node: LineageNode): string | null {
  if (node.kind === "run") return runHref(node.run_id);
  if (node.deleted) return null;
  return versionHref(node.project, node.name, node.version);
}

export function nodeTitle(node: LineageNode): string {
  if (node.kind === "run") return node.name ?? node.run_id;
  return `${node.name}:v${node.version}`;
}

/** The second line: where a run lives, or a version's type, stage and aliases. */
export function nodeSubtitle(node: LineageNode): string {
  if (node.kind === "run") return [node.project, node.run_id].filter(Boolean).join(" · ");
  const parts = [node.type];
  if (node.stage !== "none") parts.push(node.stage);
  if (node.aliases.length) parts.push(node.aliases.join(", "));
  return parts.join(" · ");
}
