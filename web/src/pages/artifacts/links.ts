/** Links to the artifact and model pages (the run page's link is `runHref` in lib/urlState). */

const enc = encodeURIComponent;

export function artifactHref(project: string, name: string): string {
  return `/artifacts/${enc(project)}/${enc(name)}`;
}

export type VersionTab = "files" | "metadata" | "lineage";
export const VERSION_TABS: readonly VersionTab[] = ["files", "metadata", "lineage"];

export function versionHref(project: string, name: string, version: number | string, tab?: VersionTab): string {
  const ver = typeof version === "number" ? `v${version}` : version;
  const path = `${artifactHref(project, name)}/${enc(ver)}`;
  return tab && tab !== "files" ? `${path}?tab=${tab}` : path;
}

export function modelHref(project: string, name: string): string {
  return `/models/${enc(project)}/${enc(name)}`;
}
