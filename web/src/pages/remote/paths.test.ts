import { describe, expect, it } from "vitest";
import { isHiddenName, joinRemotePath, normalizeRemotePath, parentRemotePath, remotePathCrumbs } from "./paths";

describe("remote paths", () => {
  it("normalize slashes but keep the top folders", () => {
    expect(normalizeRemotePath(" /data//runs/ ")).toBe("/data/runs");
    expect(normalizeRemotePath("/")).toBe("/");
    expect(normalizeRemotePath("//")).toBe("/");
    expect(normalizeRemotePath("~/")).toBe("~");
    expect(normalizeRemotePath("")).toBe("");
  });

  it("join a name onto a folder", () => {
    expect(joinRemotePath("/home/alice", "runs")).toBe("/home/alice/runs");
    expect(joinRemotePath("/home/alice/", "runs/")).toBe("/home/alice/runs");
    expect(joinRemotePath("/", "data")).toBe("/data");
    expect(joinRemotePath("~", "runs")).toBe("~/runs");
    expect(joinRemotePath("", "runs")).toBe("runs");
    expect(joinRemotePath("/data", "")).toBe("/data");
  });

  it("let an absolute or home name stand on its own", () => {
    expect(joinRemotePath("/home/alice", "/scratch/x")).toBe("/scratch/x");
    expect(joinRemotePath("/home/alice", "~/x")).toBe("~/x");
    expect(joinRemotePath("/home/alice", "~")).toBe("~");
  });

  it("find the parent folder, or none at the top", () => {
    expect(parentRemotePath("/home/alice/runs")).toBe("/home/alice");
    expect(parentRemotePath("/home/")).toBe("/");
    expect(parentRemotePath("/home")).toBe("/");
    expect(parentRemotePath("/")).toBeNull();
    expect(parentRemotePath("~")).toBeNull();
    expect(parentRemotePath("~/runs")).toBe("~");
    expect(parentRemotePath("runs")).toBeNull();
    expect(parentRemotePath("")).toBeNull();
  });

  it("split a path into breadcrumbs", () => {
    expect(remotePathCrumbs("/data/runs")).toEqual([
      { label: "/", path: "/" },
      { label: "data", path: "/data" },
      { label: "runs", path: "/data/runs" },
    ]);
    expect(remotePathCrumbs("/")).toEqual([{ label: "/", path: "/" }]);
    expect(remotePathCrumbs("~/a/b")).toEqual([
      { label: "~", path: "~" },
      { label: "a", path: "~/a" },
      { label: "b", path: "~/a/b" },
    ]);
    expect(remotePathCrumbs("rel/x")).toEqual([
      { label: "rel", path: "rel" },
      { label: "x", path: "rel/x" },
    ]);
    expect(remotePathCrumbs("")).toEqual([]);
  });

  it("know hidden names", () => {
    expect(isHiddenName(".cache")).toBe(true);
    expect(isHiddenName("runs")).toBe(false);
  });
});
