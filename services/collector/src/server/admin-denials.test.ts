import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AdminDenials } from "./admin-denials.js";

describe("AdminDenials", () => {
  it("counts every refusal by method and logs at most once per interval, with how many it skipped", async () => {
    const logs: string[] = [];
    let now = 0;
    const d = new AdminDenials(
      (m) => logs.push(m),
      10_000,
      () => now,
    );
    d.denied("flowlens.Policies/Delete", "no");
    d.denied("flowlens.Policies/Delete", "no");
    d.denied("flowlens.Endpoints/AddEndpoint", "no");
    expect(logs).toEqual(["control plane: refused flowlens.Policies/Delete: no"]);
    now = 10_000;
    d.denied("flowlens.Policies/Apply", "no");
    expect(logs[1]).toBe("control plane: refused flowlens.Policies/Apply: no (2 more refused since the last report)");
    const registry = new Registry();
    d.register(registry);
    const text = await registry.metrics();
    expect(text).toContain('flowlens_admin_calls_denied_total{method="flowlens.Policies/Delete"} 2');
    expect(text).toContain('flowlens_admin_calls_denied_total{method="flowlens.Endpoints/AddEndpoint"} 1');
    expect(text).toContain('flowlens_admin_calls_denied_total{method="flowlens.Policies/Apply"} 1');
  });
});
