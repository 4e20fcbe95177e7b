import { describe, expect, it } from "vitest";
import { buildFileTree, initiallyExpanded, visibleRows, type DirNode } from "./fileTree";

const file = (size: number, sha256 = "ab".repeat(32)) => ({ size, sha256 });

const cifar = {
  "labels.txt": file(25),
  "train/data_batch_10.bin": file(3000),
  "train/data_batch_2.bin": file(2000),
  "test/test_batch.bin": file(1000),
  "meta/splits/val.json": file(40),
  "README.md": file(12),
};

describe("buildFileTree", () => {
  it("nests the flat paths in folders, folders first, names in natural order", () => {
    const root = buildFileTree(cifar);
    expect(root.children.map((n) => `${n.kind}:${n.name}`)).toEqual([
      "dir:meta",
      "dir:test",
      "dir:train",
      "file:labels.txt",
      "file:README.md",
    ]);
    const train = root.children.find((n) => n.name === "train") as DirNode;
    expect(train.children.map((n) => n.path)).toEqual(["train/data_batch_2.bin", "train/data_batch_10.bin"]);
  });

  it("gives every folder the total size and count of the files below it", () => {
    const root = buildFileTree(cifar);
    expect(root.size).toBe(25 + 3000 + 2000 + 1000 + 40 + 12);
    expect(root.fileCount).toBe(6);
    const meta = root.children.find((n) => n.name === "meta") as DirNode;
    expect([meta.size, meta.fileCount]).toEqual([40, 1]);
    const splits = meta.children[0] as DirNode;
    expect(splits.path).toBe("meta/splits");
    expect(splits.children[0]).toMatchObject({ kind: "file", name: "val.json", path: "meta/splits/val.json", size: 40 });
  });

  it("keeps unicode and spaces in names, and an empty version is an empty root", () => {
    const root = buildFileTree({ "数据/训练 集.csv": file(7) });
    expect(root.children[0]).toMatchObject({ kind: "dir", name: "数据", size: 7 });
    expect(buildFileTree({})).toMatchObject({ size: 0, fileCount: 0, children: [] });
  });
});

describe("visibleRows", () => {
  it("shows a folder's children only while it is expanded, one level deeper", () => {
    const root = buildFileTree(cifar);
    const closed = visibleRows(root, new Set());
    expect(closed.map((r) => r.node.path)).toEqual(["meta", "test", "train", "labels.txt", "README.md"]);
    const open = visibleRows(root, new Set(["meta", "meta/splits"]));
    expect(open.slice(0, 3).map((r) => [r.node.path, r.depth, r.expanded])).toEqual([
      ["meta", 0, true],
      ["meta/splits", 1, true],
      ["meta/splits/val.json", 2, false],
    ]);
  });

  it("opens every folder of a small version and none of a large one", () => {
    const root = buildFileTree(cifar);
    expect([...initiallyExpanded(root)].sort()).toEqual(["meta", "meta/splits", "test", "train"]);
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`shards/part-${i}.bin`, file(1)]));
    expect(initiallyExpanded(buildFileTree(many)).size).toBe(0);
  });
});
