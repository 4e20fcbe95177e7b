import { describe, expect, it } from "vitest";
import type { RunDetail } from "../api/types";
import { formatEnvironmentValue, runCommand } from "./environment";

describe("environment values", () => {
  it("show byte counts in binary units, other numbers as they are", () => {
    expect(formatEnvironmentValue("memory_total", 25276502016)).toBe("23.5 GiB");
    expect(formatEnvironmentValue("gpus.0.memory_total", 85899345920)).toBe("80 GiB");
    expect(formatEnvironmentValue("cpu_count", 2)).toBe("2");
    expect(formatEnvironmentValue("python.version", "3.11.7")).toBe("3.11.7");
  });

  it("read the command line the SDK records as argv and cwd", () => {
    const run = { environment: { command: { argv: ["train.py", "--lr", "3e-4", "学习率 0.1"], cwd: "/w" } } } as unknown as RunDetail;
    expect(runCommand(run)).toBe("train.py --lr 3e-4 '学习率 0.1'");
  });
});
