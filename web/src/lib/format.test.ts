import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatCompact,
  formatDateTime,
  formatDuration,
  formatExact,
  formatNumber,
  formatPercent,
  formatRelativeTime,
  formatValue,
  relativeTimeRefreshMs,
} from "./format";

describe("formatNumber", () => {
  it("spells out missing and non-finite values", () => {
    expect(formatNumber(null)).toBe("—");
    expect(formatNumber(undefined)).toBe("—");
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber(Infinity)).toBe("∞");
    expect(formatNumber(-Infinity)).toBe("-∞");
  });

  it("keeps integers whole and trims trailing zeros", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(120)).toBe("120");
    expect(formatNumber(123456)).toBe("123456");
    expect(formatNumber(0.5)).toBe("0.5");
    expect(formatNumber(0.123456)).toBe("0.1235");
    expect(formatNumber(2.3)).toBe("2.3");
  });

  it("switches to exponent form for very small and very large values", () => {
    expect(formatNumber(0.0003)).toBe("3e-4");
    expect(formatNumber(1.5e-7)).toBe("1.5e-7");
    expect(formatNumber(2.5e12)).toBe("2.5e12");
    expect(formatNumber(-0.00012346)).toBe("-1.235e-4");
  });

  it("shows more digits when asked for exact values", () => {
    expect(formatExact(0.123456789)).toBe("0.1234568");
  });
});

describe("formatCompact", () => {
  it("uses SI suffixes for axis labels", () => {
    expect(formatCompact(1500)).toBe("1.5k");
    expect(formatCompact(2_000_000)).toBe("2M");
    expect(formatCompact(999)).toBe("999");
    expect(formatCompact(0.25)).toBe("0.25");
    expect(formatCompact(0.00012)).toBe("1.2e-4");
  });
});

describe("formatDuration", () => {
  it("shows the two largest units", () => {
    expect(formatDuration(4.25)).toBe("4.3s");
    expect(formatDuration(42)).toBe("42s");
    expect(formatDuration(187)).toBe("3m 07s");
    expect(formatDuration(7500)).toBe("2h 05m");
    expect(formatDuration(3 * 86400 + 4 * 3600 + 59)).toBe("3d 4h");
  });

  it("shows a dash for unknown or negative durations", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
    expect(formatDuration(NaN)).toBe("—");
  });
});

describe("dates", () => {
  it("formats Unix seconds as local date and time", () => {
    const ts = new Date(2026, 10, 26, 9, 5, 7).getTime() / 1000;
    expect(formatDateTime(ts)).toBe("2026-11-26 09:05:07");
    expect(formatDateTime(ts, false)).toBe("2026-11-26 09:05");
    expect(formatDateTime(null)).toBe("—");
  });

  it("says how long ago, in the UI language", () => {
    const now = 1_800_000_000;
    expect(formatRelativeTime(now - 180, now, "en")).toBe("3 minutes ago");
    expect(formatRelativeTime(now - 2 * 86400, now, "en")).toBe("2 days ago");
    expect(formatRelativeTime(now - 180, now, "zh-CN")).toBe("3分钟前");
  });
});

describe("sizes and values", () => {
  it("formats bytes in binary units", () => {
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(1.2e10)).toBe("11.2 GiB");
    expect(formatBytes(null)).toBe("—");
  });

  it("formats percentages", () => {
    expect(formatPercent(5.26)).toBe("5.3%");
    expect(formatPercent(93.4)).toBe("93%");
  });

  it("formats any config value on one line", () => {
    expect(formatValue("adam")).toBe("adam");
    expect(formatValue(true)).toBe("true");
    expect(formatValue(3e-4)).toBe("3e-4");
    expect(formatValue([1, 2])).toBe("[1,2]");
    expect(formatValue(null)).toBe("—");
    expect(formatValue("NaN")).toBe("NaN");
  });
});

describe("relativeTimeRefreshMs", () => {
  it("refreshes every second while the wording counts seconds, then less often", () => {
    expect(relativeTimeRefreshMs(53)).toBe(1_000);
    expect(relativeTimeRefreshMs(-5)).toBe(1_000);
    expect(relativeTimeRefreshMs(600)).toBe(15_000);
    expect(relativeTimeRefreshMs(86_400)).toBe(60_000);
  });
});
