// How long the CPU-bound guards take: hostile RE2 patterns, flow filters on hostile input, a YAML alias
// bomb refused, 1,000 policies compiled, the relay's wire check against a decode, and the CLI giving up
// on a server that is not gRPC. The unit tests assert what these do; this prints how fast they do it.
// No root, no kernel. Usage: npx vite-node bench/cpu-bounds.ts
import { spawn } from "node:child_process";
import net from "node:net";
import { resolve } from "node:path";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { compileFilters } from "@flowlens/flow";
import { compilePolicies, endpointIdentity, type PolicyEndpoint, parsePolicyDocuments } from "@flowlens/policy";
import { FlowFilterSchema, FlowSchema, Layer7Schema } from "@flowlens/proto";
import { compileRegex } from "@flowlens/regex";
import { checkWire } from "../services/relay/dist/peers/wire-check.js";
import { testFlow } from "../services/relay/dist/testkit.js";
import { fmt, result } from "./lib/args.mjs";
import { policyLoad } from "./lib/policy-gen.ts";

const ms = (fn: () => unknown): number => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

function regexBound(): void {
  const evil = "a".repeat(100_000);
  const worst = Math.max(
    ...["(a+)+b", "(a|a)*b", "(a*)*b", "(?:a|aa)+$b"].map((p) => ms(() => compileRegex(p, "full").test(evil))),
    ms(() => compileRegex("(x+x+)+y", "search").test("x".repeat(50_000))),
  );
  result("RE2 hostile pattern on 100,000 chars, worst ms", fmt(worst, 1), "< 2000", worst < 2000);
}

function filterBound(): void {
  const as = "a".repeat(100_000);
  const cases: [MessageInitShape<typeof FlowFilterSchema>, MessageInitShape<typeof FlowSchema>][] = [
    [{ httpUrl: ["^http://x/(a+)+b"] }, { l7: { record: { case: "http" as const, value: { method: "GET", url: `http://x/${as}` } } } }],
    [{ dnsQuery: ["^(a*)*b$"] }, { l7: { record: { case: "dns" as const, value: { query: as } } } }],
    [{ destinationFqdn: ["*a*a*a*a*a*a*a*a*a*a*b"] }, { destinationNames: [as] }],
    [{ nodeName: ["*a*a*a*a*a*a*a*a*a*a*b"] }, { nodeName: `c/${as}` }],
  ];
  const worst = Math.max(
    ...cases.map(([filter, flow]) => ms(() => compileFilters([create(FlowFilterSchema, filter)], [])(create(FlowSchema, flow)))),
  );
  result("flow filter on a hostile 100,000-char flow, worst ms", fmt(worst, 1), "< 1500", worst < 1500);
}

function aliasBombBound(): void {
  const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n`;
  const t = ms(() => parsePolicyDocuments([{ source: "bomb.yaml", text: bomb }]));
  result("YAML alias bomb refused, ms", fmt(t, 1), "< 500", t < 500);
}

function compileBound(): void {
  const endpoint = (labels: Record<string, string>): PolicyEndpoint => ({
    identity: endpointIdentity("default", labels),
    namespace: "default",
    labels,
  });
  const pair = { client: { app: "b4-client" }, server: { app: "b4-server" } };
  // The policy benches' load, over the pair and 48 peers its rules select.
  const endpoints = [
    pair.client,
    pair.server,
    ...Array.from({ length: 48 }, (_, i) => ({ app: `b4-peer-${i % 10}`, team: `t${i % 11}` })),
  ].map(endpoint);
  const { policies, errors } = parsePolicyDocuments([{ source: "load.yaml", text: policyLoad(1000, 10, pair, "default") }]);
  if (errors.length > 0) throw new Error(`cpu-bounds: the generated load does not parse: ${errors[0].message}`);
  const t = ms(() => compilePolicies(policies, endpoints));
  result("compile 1,000 policies x 10 rules over 50 endpoints, ms", fmt(t, 0), "< 3000", t < 3000);
}

function wireCheckBound(): void {
  const f = testFlow("node-a", "0f0e0d0c-0b0a-0908-0706-050403020100", Date.now());
  f.l7 = create(Layer7Schema, {
    type: 1,
    record: { case: "http", value: { code: 403, method: "GET", url: "http://10.0.0.1/restricted", headers: [{ key: "a", value: "b" }] } },
  });
  const b = toBinary(FlowSchema, f);
  const perCall = (fn: () => unknown) => {
    for (let i = 0; i < 5000; i++) fn();
    return (
      ms(() => {
        for (let i = 0; i < 50_000; i++) fn();
      }) / 50_000
    );
  };
  const check = perCall(() => checkWire(FlowSchema, b));
  const decode = perCall(() => fromBinary(FlowSchema, b));
  result(
    "relay wire check vs fromBinary, µs per flow",
    `${fmt(check * 1000, 2)} vs ${fmt(decode * 1000, 2)}`,
    "check < decode",
    check < decode,
  );
}

async function cliGivesUpBound(): Promise<void> {
  const srv = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  const bin = resolve(import.meta.dirname, "../services/cli/bin/flowlens.js");
  const t = performance.now();
  await new Promise((r) =>
    spawn(process.execPath, [bin, "list", "nodes", "--server", `127.0.0.1:${port}`, "--timeout", "1s"], { stdio: "ignore" }).on("exit", r),
  );
  const took = performance.now() - t;
  srv.close();
  result("CLI gives up on a non-gRPC server (--timeout 1s), ms", fmt(took, 0), "< 5000", took < 5000);
}

regexBound();
filterBound();
aliasBombBound();
compileBound();
wireCheckBound();
await cliGivesUpBound();
