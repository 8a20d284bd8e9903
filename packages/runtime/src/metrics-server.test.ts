import { Counter, Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { serveMetrics } from "./metrics-server.js";

const registry = new Registry();
new Counter({ name: "flowlens_test_total", help: "t", registers: [registry] }).inc(3);
const server = await serveMetrics(registry, "127.0.0.1", 0);
const port = (server.address() as { port: number }).port;
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("serveMetrics", () => {
  it("serves the registry on /metrics and 404 elsewhere", async () => {
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("flowlens_test_total 3");
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
  });

  it("says which address it could not listen on", async () => {
    await expect(serveMetrics(registry, "127.0.0.1", port)).rejects.toThrow(`metrics on 127.0.0.1:${port}: `);
  });
});
