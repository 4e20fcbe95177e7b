/**
 * One page of the artifact or model list by the URL's page number, and the projects for the
 * picker (those the viewer knows plus those on the page).
 */
import { useMemo } from "react";
import { api } from "../../api/client";
import type { ListResponse } from "../../api/types";
import { useAsync, type AsyncState } from "../../hooks/useAsync";

export const PAGE_SIZE = 50;

export interface PageRange {
  limit: number;
  offset: number;
}

export interface CatalogPage<T> {
  list: AsyncState<ListResponse<T>>;
  total: number;
  /** Projects for the picker: known to the viewer, on this page, or the one chosen. */
  projectNames: string[];
}

/** Page `page` (1-based) of a list; `key` names the query without the page. */
export function useCatalogPage<T extends { project: string }>(
  key: string,
  page: number,
  project: string | null,
  load: (range: PageRange, signal: AbortSignal) => Promise<ListResponse<T>>,
): CatalogPage<T> {
  const offset = (page - 1) * PAGE_SIZE;
  const list = useAsync(`${key}:${offset}`, (signal) => load({ limit: PAGE_SIZE, offset }, signal));
  const projects = useAsync("projects", (signal) => api.projects(signal));
  const projectNames = useMemo(() => {
    const names = new Set((projects.data?.items ?? []).map((p) => p.project));
    for (const item of list.data?.items ?? []) names.add(item.project);
    if (project) names.add(project);
    return [...names].sort();
  }, [projects.data, list.data, project]);
  return { list, total: list.data?.total ?? 0, projectNames };
}
