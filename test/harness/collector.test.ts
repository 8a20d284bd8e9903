// Self-test of the collector helper's failure path: a collector that dies early is reported with its output.
import { describe, expect, it } from "vitest";
import { freePort, startCollector } from "./collector.js";

describe("collector helper", () => {
  it("finds a free local port", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });

  it("rejects with the collector's own output when it exits before listening", async () => {
    await expect(startCollector(["--no-such-flag-for-flowlens"])).rejects.toThrow(
      /^collector exited \(code \d+\) before listening on 127\.0\.0\.1:\d+: .+/s,
    );
  });
});
