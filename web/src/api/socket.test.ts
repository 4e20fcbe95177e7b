import { describe, expect, it } from "vitest";
import { backoffDelay, socketUrl } from "./socket";

describe("reconnect backoff", () => {
  it("doubles from the minimum and stops at the maximum", () => {
    const mid = () => 0.5;
    expect(backoffDelay(0, 500, 15_000, mid)).toBe(500);
    expect(backoffDelay(1, 500, 15_000, mid)).toBe(1000);
    expect(backoffDelay(3, 500, 15_000, mid)).toBe(4000);
    expect(backoffDelay(20, 500, 15_000, mid)).toBe(15_000);
  });

  it("adds jitter within ±25%", () => {
    expect(backoffDelay(2, 500, 15_000, () => 0)).toBe(1500);
    expect(backoffDelay(2, 500, 15_000, () => 1)).toBe(2500);
  });
});

describe("socketUrl", () => {
  it("uses the page's origin and matching scheme", () => {
    expect(socketUrl("/api/x/ws", { protocol: "http:", host: "127.0.0.1:23300" })).toBe("ws://127.0.0.1:23300/api/x/ws");
    expect(socketUrl("/api/x/ws", { protocol: "https:", host: "h" })).toBe("wss://h/api/x/ws");
  });
});
