import { describe, expect, it } from "vitest";
import type { RunItem } from "../../api/types";
import { PAGE_SIZE, RunPages, type PageFetcher } from "./runPages";

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const TOTAL = 1000;

function fetcher(calls: number[]): PageFetcher {
  return (offset, limit) => {
    calls.push(offset);
    const items = Array.from({ length: Math.max(0, Math.min(limit, TOTAL - offset)) }, (_, i) => ({ id: `r${offset + i}` }) as RunItem);
    return Promise.resolve({ items, total: TOTAL });
  };
}

describe("RunPages", () => {
  it("loads only the pages the visible rows need", async () => {
    const calls: number[] = [];
    const pages = new RunPages(fetcher(calls));
    pages.ensure(0, 0);
    await flush();
    expect(pages.getSnapshot().total).toBe(TOTAL);
    pages.ensure(PAGE_SIZE * 3 + 5, PAGE_SIZE * 3 + 40);
    await flush();
    expect(calls).toEqual([0, PAGE_SIZE * 3]);
    expect(pages.row(PAGE_SIZE * 3 + 5)?.id).toBe(`r${PAGE_SIZE * 3 + 5}`);
    expect(pages.row(PAGE_SIZE)).toBeUndefined();
  });

  it("does not ask twice for a page in flight", async () => {
    const calls: number[] = [];
    const pages = new RunPages(fetcher(calls));
    pages.ensure(0, 10);
    pages.ensure(0, 10);
    await flush();
    expect(calls).toEqual([0]);
  });

  it("exposes rows as one array per version, with placeholders", async () => {
    const pages = new RunPages(fetcher([]));
    pages.ensure(0, 0);
    await flush();
    const rows = pages.rows();
    expect(rows).toHaveLength(TOTAL);
    expect(rows[0]?.id).toBe("r0");
    expect(rows[TOTAL - 1]).toBeNull();
    expect(pages.rows()).toBe(rows);
  });

  it("refreshes only the pages on screen and forgets the others", async () => {
    const calls: number[] = [];
    const pages = new RunPages(fetcher(calls));
    pages.ensure(0, 0);
    await flush();
    pages.ensure(PAGE_SIZE * 2, PAGE_SIZE * 2 + 30);
    await flush();
    calls.length = 0;
    pages.refresh();
    await flush();
    expect(calls).toEqual([PAGE_SIZE * 2]);
    expect(pages.row(0)).toBeUndefined();
    expect(pages.row(PAGE_SIZE * 2)?.id).toBe(`r${PAGE_SIZE * 2}`);
  });

  it("keeps the error of a failed page", async () => {
    const pages = new RunPages(() => Promise.reject(new Error("400: bad filter")));
    pages.ensure(0, 0);
    await flush();
    expect((pages.getSnapshot().error as Error).message).toBe("400: bad filter");
  });
});
