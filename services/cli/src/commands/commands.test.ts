// In-process tests against a real grpc-js server with fake data: observe formats, --follow, status, list, endpoint.
import { fromJson } from "@bufbuild/protobuf";
import { GetFlowsResponseSchema, registry } from "@flowlens/proto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli, startCli } from "../testkit.js";
import { type FakeServer, sampleFlow, startFakeServer } from "../testkit-server.js";

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeServer([sampleFlow(1), sampleFlow(2), sampleFlow(3)]);
});
afterAll(async () => {
  await fake?.close();
});

const until = (cond: () => boolean, ms = 5000) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error("condition not met in time");
    },
    { timeout: ms, interval: 10 },
  );

describe("observe", () => {
  it("-o json prints one GetFlowsResponse per line, proto3 JSON with proto field names", async () => {
    const r = await runCli(["observe", "--server", fake.address, "-o", "json", "--from-pod", "shop/web"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const [i, line] of lines.entries()) {
      const obj = JSON.parse(line);
      expect(obj.flow.source.pod_name).toBe("web");
      expect(obj.flow.l4.TCP.destination_port).toBe(5432);
      expect(obj.flow.uuid).toBe(`uuid-${i + 1}`);
      expect(obj.node_name).toBe("node-a");
      expect(fromJson(GetFlowsResponseSchema, obj, { registry }).responseTypes.case).toBe("flow");
    }
    const req = fake.requests.at(-1);
    expect(req?.number).toBe(20n);
    expect(req?.whitelist.map((f) => f.sourcePod)).toEqual([["shop/web"]]);
  });

  it("compact output is Hubble's one-line format", async () => {
    const r = await runCli(["observe", "--server", fake.address, "--last", "2"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "Nov 26 06:30:01.125: shop/web:40002 (ID:1234) -> shop/db:5432 (ID:5678) to-endpoint FORWARDED (TCP Flags: SYN)",
        "Nov 26 06:30:01.126: shop/web:40003 (ID:1234) -> shop/db:5432 (ID:5678) to-endpoint FORWARDED (TCP Flags: SYN)",
        "",
      ].join("\n"),
    );
    expect(fake.requests.at(-1)?.number).toBe(2n);
  });

  it("--print-node-name and --time-format change the line", async () => {
    const r = await runCli(["observe", "--server", fake.address, "--last", "1", "--print-node-name", "--time-format", "RFC3339Milli"]);
    expect(r.stdout).toBe(
      "2024-11-26T06:30:01.126Z [node-a]: shop/web:40003 (ID:1234) -> shop/db:5432 (ID:5678) to-endpoint FORWARDED (TCP Flags: SYN)\n",
    );
  });

  it("table output has Hubble's header and aligned columns", async () => {
    const r = await runCli(["observe", "--server", fake.address, "-o", "table", "--last", "1"]);
    const [header, row] = r.stdout.split("\n");
    expect(header).toMatch(/^TIMESTAMP\s{3,}SOURCE\s{3,}DESTINATION\s{3,}TYPE\s{3,}VERDICT\s{3,}SUMMARY$/);
    expect(row).toContain("shop/web:40003");
    expect(row?.indexOf("shop/db")).toBe(header?.indexOf("DESTINATION"));
  });

  it("--follow streams new flows until Ctrl-C, then exits 0 quietly", async () => {
    const run = startCli(["observe", "--server", fake.address, "-f", "-o", "jsonpb"]);
    await until(() => fake.openStreams() === 1);
    expect(fake.requests.at(-1)?.follow).toBe(true);
    expect(fake.requests.at(-1)?.number).toBe(0n);
    fake.push(sampleFlow(10));
    await until(() => run.stdout().split("\n").length === 2);
    fake.push(sampleFlow(11));
    await until(() => run.stdout().split("\n").length === 3);
    run.interrupt();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).flow.uuid),
    ).toEqual(["uuid-10", "uuid-11"]);
    await until(() => fake.openStreams() === 0);
  });

  it("FLOWLENS_SERVER replaces the default address", async () => {
    const r = await runCli(["observe", "--last", "1"], { FLOWLENS_SERVER: fake.address });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("shop/web");
  });
});

describe("status and list", () => {
  it("status prints the health check and flow counts like hubble status", async () => {
    const r = await runCli(["status", "--server", fake.address]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [`Healthcheck (via ${fake.address}): Ok`, "Current/Max Flows: 1,234/4,095 (30.13%)", "Flows/s: 12.35", ""].join("\n"),
    );
  });

  it("list nodes prints NAME STATUS AGE FLOWS/S CURRENT/MAX-FLOWS", async () => {
    const r = await runCli(["list", "nodes", "--server", fake.address]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+AGE\s+FLOWS\/S\s+CURRENT\/MAX-FLOWS$/);
    expect(lines[1]).toMatch(/^node-a\s+Connected\s+120m\s+10\.00\s+4095\/ 4095 \(100\.00%\)$/);
    expect(lines[2]).toMatch(/^node-b\s+Unavailable\s+N\/A\s+N\/A\s+N\/A$/);
  });

  it("list namespaces prints one per line, sorted", async () => {
    const r = await runCli(["list", "namespaces", "--server", fake.address]);
    expect(r.stdout).toBe("NAMESPACE\ndefault\nshop\n");
  });
});

describe("endpoint", () => {
  it("add, list and delete against the Endpoints service", async () => {
    const add = await runCli([
      "endpoint",
      "add",
      "--server",
      fake.address,
      "--name",
      "web",
      "--namespace",
      "shop",
      "--netns",
      "fl-web",
      "--interface",
      "veth-web",
      "--label",
      "app=web",
      "--ip",
      "10.200.0.9",
    ]);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^added shop\/web \(ID 1, identity 300, veth-web, 10\.200\.0\.9\)\n$/);
    const list = await runCli(["endpoint", "list", "--server", fake.address]);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+ID\s+IDENTITY\s+INTERFACE\s+NETNS\s+IPS\s+LABELS$/);
    expect(lines[1]).toMatch(/^shop\s+web\s+1\s+300\s+veth-web\s+fl-web\s+10\.200\.0\.9\s+app=web$/);
    const del = await runCli(["endpoint", "delete", "shop/web", "--server", fake.address]);
    expect(del.stdout).toBe("deleted shop/web\n");
    const again = await runCli(["endpoint", "delete", "shop/web", "--server", fake.address]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`flowlens endpoint delete: DeleteEndpoint on ${fake.address}: endpoint shop/web not found\n`);
  });

  it("a request the server rejects is a usage error", async () => {
    const r = await runCli(["endpoint", "add", "--server", fake.address, "--name", "x", "--netns", "", "--interface", "v"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("rejected the request: endpoint.netns is required");
  });
});
