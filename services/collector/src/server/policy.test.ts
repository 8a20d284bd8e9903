// The Policies handlers over a real store and engine (no kernel maps): answers and gRPC status codes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DropReason, Verdict } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EndpointRegistry } from "../endpoints/registry.js";
import { PolicyEngine } from "../policy/engine/engine.js";
import { PolicyFiles } from "../policy/engine/policy-files.js";
import { PolicyStore } from "../policy/engine/store.js";
import { cnp } from "../policy/engine/testkit.js";
import { createPolicyHandlers } from "./policy.js";

type Answer = { err: Partial<grpc.StatusObject> | null; res: Record<string, unknown> };

let dir: string;
let handlers: grpc.UntypedServiceImplementation;
let store: PolicyStore;

function call(method: string, request: Record<string, unknown>): Answer {
  let answer: Answer | undefined;
  const fn = handlers[method] as (c: unknown, cb: (e: Partial<grpc.StatusObject> | null, r: unknown) => void) => void;
  fn({ request }, (err, res) => {
    answer = { err, res: res as Record<string, unknown> };
  });
  if (!answer) throw new Error(`${method} did not answer synchronously`);
  return answer;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flowlens-h4-svc-"));
  const registry = new EndpointRegistry();
  for (const [i, name] of ["app1", "app2", "app3"].entries())
    registry.upsert(
      { name, namespace: "default", labels: { app: name }, netns: name, interface: `v${name}` },
      { ifindex: i + 1, ips: [`10.7.0.${i + 1}`] },
    );
  const engine = new PolicyEngine({ registry, audit: false, log: () => {} });
  engine.start();
  store = new PolicyStore({ dir, installer: engine, log: () => {} });
  handlers = createPolicyHandlers(store, engine);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("flowlens.Policies handlers", () => {
  it("Apply answers the applied summaries, or every error with file, path and line", () => {
    const ok = call("Apply", { documents: [{ source: "a.yaml", yaml: cnp("app1-policy") }] });
    expect(ok.err).toBeNull();
    expect(ok.res.applied).toMatchObject([
      { name: "app1-policy", namespace: "default", kind: "CiliumNetworkPolicy", rules: 1, revision: 1n, origin: "api" },
    ]);
    const bad = call("Apply", { documents: [{ source: "b.yaml", yaml: cnp("x", { port: 70000 }) }] });
    expect(bad.err).toBeNull();
    expect(bad.res.applied).toEqual([]);
    expect(bad.res.errors).toMatchObject([{ file: "b.yaml", path: "spec.ingress[0].toPorts[0].ports[0].port", line: 15 }]);
    expect(call("Apply", { documents: [] }).err?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("List, Get, Delete and their NOT_FOUND; a --policies policy is FAILED_PRECONDITION to delete", () => {
    call("Apply", { documents: [{ source: "a.yaml", yaml: cnp("one") }] });
    expect((call("List", {}).res.policies as { name: string }[]).map((p) => p.name)).toEqual(["one"]);
    expect(call("Get", { name: "one", namespace: "", kind: "" }).res).toMatchObject({ yaml: cnp("one"), policy: { name: "one" } });
    expect(call("Get", { name: "two", namespace: "", kind: "" }).err).toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(call("Delete", { name: "one", namespace: "default", kind: "" }).res).toMatchObject({ deleted: { name: "one" }, revision: 2n });
    expect(call("Delete", { name: "one", namespace: "default", kind: "" }).err?.details).toBe(
      "policy default/one not found (see flowlens policy list)",
    );

    const f = join(dir, "file.yaml");
    writeFileSync(f, cnp("from-file"));
    new PolicyFiles(f, store, () => {}).load();
    expect(call("Delete", { name: "from-file", namespace: "", kind: "" }).err).toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: `policy default/from-file comes from --policies ${f}: remove it from there`,
    });
  });

  it("Trace answers verdict, reason, rule and lines; bad requests and unknown pods have their codes", () => {
    call("Apply", { documents: [{ source: "a.yaml", yaml: cnp("app1-policy") }] });
    const denied = call("Trace", { fromPod: "app3", toPod: "default/app1", dport: 80, protocol: "", httpMethod: "", httpPath: "" });
    expect(denied.res).toMatchObject({ verdict: Verdict.DROPPED, dropReason: DropReason.POLICY_DENIED, rule: "", policies: [] });
    const allowed = call("Trace", { fromPod: "app2", toPod: "app1", dport: 80, protocol: "tcp", httpMethod: "", httpPath: "" });
    expect(allowed.res).toMatchObject({ verdict: Verdict.FORWARDED, policies: [{ name: "app1-policy", kind: "CiliumNetworkPolicy" }] });
    expect(allowed.res.rule).toMatch(/app1-policy/);
    expect((allowed.res.lines as string[]).at(-1)).toBe("Final verdict: FORWARDED");
    expect(call("Trace", { fromPod: "ghost", toPod: "app1", dport: 80, protocol: "", httpMethod: "", httpPath: "" }).err?.code).toBe(
      grpc.status.NOT_FOUND,
    );
    expect(call("Trace", { fromPod: "app2", toPod: "app1", dport: 0, protocol: "", httpMethod: "", httpPath: "" }).err?.code).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    // By address and by identity: an outside address is world, dropped by app1's default deny.
    const byIp = call("Trace", { fromIp: "203.0.113.7", toPod: "app1", dport: 80, protocol: "TCP" });
    expect(byIp.res).toMatchObject({ verdict: Verdict.DROPPED, fromIdentity: 2 });
    const byIdentity = call("Trace", { fromIdentity: 2, toPod: "app1", dport: 80, protocol: "TCP" });
    expect(byIdentity.res).toMatchObject({ verdict: Verdict.DROPPED, fromIdentity: 2 });
    expect(call("Trace", { fromPod: "app2", fromIp: "10.0.0.1", toPod: "app1", dport: 80, protocol: "TCP" }).err).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: "give exactly one of from pod, from IP and from identity (2 given)",
    });
  });
});
