import { describe, expect, it } from "vitest";
import {
  decodeArtifactsList,
  decodeModelsList,
  decodePaged,
  decodeVersionPage,
  encodeArtifactsList,
  encodeModelsList,
  encodePaged,
  encodeVersionPage,
} from "./urlState";

const params = (text: string) => new URLSearchParams(text);

describe("artifacts page URL state", () => {
  it("round-trips project, type, search and page, leaving defaults out", () => {
    const state = decodeArtifactsList(params("project=vision&type=dataset&q=cifar%2010&page=3"));
    expect(state).toEqual({ project: "vision", type: "dataset", search: "cifar 10", page: 3 });
    expect(encodeArtifactsList(state).toString()).toBe("project=vision&type=dataset&q=cifar+10&page=3");
    expect(encodeArtifactsList({ project: null, type: null, search: "", page: 1 }).toString()).toBe("");
  });

  it("reads a broken page number as the first page", () => {
    for (const page of ["0", "-2", "1.5", "x", ""]) {
      expect(decodeArtifactsList(params(`page=${page}`)).page).toBe(1);
    }
  });
});

describe("version page URL state", () => {
  it("knows its tabs and clamps the lineage depth to what the server allows", () => {
    expect(decodeVersionPage(params(""))).toEqual({ tab: "files", depth: 3 });
    expect(decodeVersionPage(params("tab=lineage&depth=7"))).toEqual({ tab: "lineage", depth: 7 });
    expect(decodeVersionPage(params("tab=nope&depth=999")).tab).toBe("files");
    expect(decodeVersionPage(params("depth=999")).depth).toBe(50);
    expect(decodeVersionPage(params("depth=-1")).depth).toBe(0);
    expect(decodeVersionPage(params("depth=two")).depth).toBe(3);
    expect(encodeVersionPage({ tab: "files", depth: 3 }).toString()).toBe("");
    expect(encodeVersionPage({ tab: "lineage", depth: 0 }).toString()).toBe("tab=lineage&depth=0");
  });
});

describe("models page URL state", () => {
  it("keeps the project and page", () => {
    expect(decodeModelsList(params("project=nlp&page=2"))).toEqual({ project: "nlp", page: 2 });
    expect(encodeModelsList({ project: null, page: 1 }).toString()).toBe("");
  });
});

describe("paged lists", () => {
  it("keep only a page past the first", () => {
    expect(decodePaged(params("page=4"))).toEqual({ page: 4 });
    expect(encodePaged({ page: 1 }).toString()).toBe("");
    expect(encodePaged({ page: 2 }).toString()).toBe("page=2");
  });
});
