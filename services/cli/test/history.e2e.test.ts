// flowlens sql and observe --since end to end: the built CLI binary against the real flowlens-api binary on the
// real ClickHouse (harness, Debian's 18.16), flows stored through @flowlens/clickhouse's store (the ingester's path).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFlowStore, type FlowStore } from "@flowlens/clickhouse";
import { testFlow } from "@flowlens/clickhouse/testkit";
import { Verdict } from "@flowlens/proto";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { REPO_ROOT } from "@flowlens/test-harness/topology";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CliResult, spawnCli, startCli } from "../src/testkit.js";
import { startFakeServer } from "../src/testkit-server.js";

const API_BIN = join(REPO_ROOT, "services/api/bin/flowlens-api.js");
const TOKEN = "cli-e2e-token-0123456789";
const N = 60;
const BASE_MS = Date.now() - 20 * 60_000;
const uuidOf = (i: number) => `cli-${String(i).padStart(3, "0")}`;
const droppedAt = (i: number) => i % 3 === 0;

let ch: ClickHouseServer;
let store: FlowStore;
let api: { url: string; child: ChildProcess };
let dead: string; // a loopback address where no relay listens: history only
const dir = mkdtempSync(join(tmpdir(), "flowlens-cli-e2e-"));

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => ok(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function startApi(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [API_BIN, "--listen-address", `127.0.0.1:${port}`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FLOWLENS_CLICKHOUSE_PASSWORD: "", FLOWLENS_CLICKHOUSE_READER_PASSWORD: "" },
  });
  let out = "";
  await new Promise<void>((ok, fail) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(`:${port}/api/v1`)) ok();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => fail(new Error(`flowlens-api exited ${code}: ${out.trim()}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

const cli = (args: string[]): Promise<CliResult> =>
  spawnCli([...args, "--api", api.url, "--token-file", join(dir, "token")], { FLOWLENS_API: "", FLOWLENS_API_TOKEN: "" });
const observe = (args: string[]) => cli(["observe", "--server", dead, ...args]);

beforeAll(async () => {
  ch = await startClickHouse();
  store = createFlowStore({ url: ch.url });
  await store.migrate();
  await store.insertFlows(
    Array.from({ length: N }, (_, i) =>
      testFlow({
        uuid: uuidOf(i),
        timeMs: BASE_MS + i * 1000,
        verdict: droppedAt(i) ? Verdict.DROPPED : Verdict.FORWARDED,
        srcPod: i % 2 ? "frontend-7d9f" : "checkout-5b6c",
      }),
    ),
  );
  writeFileSync(join(dir, "tokens"), `${TOKEN}\n`);
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  api = await startApi(["--clickhouse-url", ch.url, "--tokens-file", join(dir, "tokens")]);
  dead = `127.0.0.1:${await freePort()}`;
}, 120_000);

afterAll(async () => {
  if (api?.child.exitCode === null) {
    api.child.kill("SIGTERM");
    await new Promise((r) => api.child.once("exit", r));
  }
  await store?.close();
  await ch?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const dropped = Array.from({ length: N }, (_, i) => i).filter(droppedAt);
const COUNT_SQL = "SELECT verdict, count() AS n FROM flowlens.flows_dedup GROUP BY verdict ORDER BY verdict";

describe("flowlens sql on flowlens-api and ClickHouse 18.16", () => {
  it("prints the rows as a table, CSV and JSON", async () => {
    const table = await cli(["sql", COUNT_SQL]);
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(`verdict     n\nDROPPED     ${dropped.length}\nFORWARDED   ${N - dropped.length}\n`);
    const csv = await cli(["sql", COUNT_SQL, "-o", "csv"]);
    expect(csv.stdout).toBe(`verdict,n\r\nDROPPED,${dropped.length}\r\nFORWARDED,${N - dropped.length}\r\n`);
    const json = JSON.parse((await cli(["sql", COUNT_SQL, "-o", "json"])).stdout);
    expect(json).toMatchObject({ rowCount: 2, limitReached: false, meta: [{ name: "verdict" }, { name: "n" }] });
    expect(json.rows.map((r: { verdict: string }) => r.verdict)).toEqual(["DROPPED", "FORWARDED"]);
  });

  it("a row cap is reported on stderr", async () => {
    const r = await cli(["sql", "SELECT uuid FROM flowlens.flows_dedup ORDER BY uuid", "-o", "csv", "--max-rows", "5"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\r\n").filter(Boolean)).toEqual(["uuid", ...[0, 1, 2, 3, 4].map(uuidOf)]);
    expect(r.stderr).toBe("flowlens sql: limit reached: only the first 5 rows were returned (add LIMIT or --max-rows)\n");
  });

  it("a refused statement is one line on stderr and exit 1; a wrong token exit 1", async () => {
    const r = await cli(["sql", "DROP TABLE flowlens.flows"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^flowlens sql: flowlens-api rejected the request: [^\n]+\n$/);
    const two = await cli(["sql", "SELECT 1; SELECT 2"]);
    expect(two.code).toBe(1);
    expect(two.stderr.split("\n")).toHaveLength(2);
    writeFileSync(join(dir, "wrong"), "not-the-token\n");
    const wrong = await spawnCli(["sql", "SELECT 1", "--api", api.url, "--token-file", join(dir, "wrong")]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^flowlens sql: flowlens-api at http:\/\/127\.0\.0\.1:\d+ refused the token: /);
  });
});

describe("flowlens observe --since over the history", () => {
  it("reads the stored flows with --verdict DROPPED, oldest first, as Hubble JSON", async () => {
    const r = await observe(["--since", "1h", "--verdict", "DROPPED", "-o", "json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/reading the flow history only\n$/);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.flow.uuid)).toEqual(dropped.map(uuidOf));
    expect(lines[0]).toMatchObject({ node_name: "node-a", flow: { verdict: "DROPPED", source: { namespace: "default" } } });
  });

  it("compact lines, --not, either-side --pod and --last N", async () => {
    const compact = await observe(["--since", "1h", "--verdict", "DROPPED"]);
    const lines = compact.stdout.trim().split("\n");
    expect(lines).toHaveLength(dropped.length);
    for (const l of lines)
      expect(l).toMatch(/^\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: default\/\S+:40000 .* -> default\/backend-5c4b:8080 .* DROPPED/);
    const notDropped = await observe(["--since", "1h", "--not", "--verdict", "DROPPED", "-o", "json"]);
    expect(notDropped.stdout.trim().split("\n")).toHaveLength(N - dropped.length);
    const pod = await observe(["--since", "1h", "--pod", "default/checkout", "--verdict", "DROPPED", "-o", "json"]);
    const podUuids = pod.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).flow.uuid);
    expect(podUuids).toEqual(dropped.filter((i) => i % 2 === 0).map(uuidOf));
    const last = await observe(["--since", "1h", "--last", "3", "-o", "json"]);
    expect(
      last.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).flow.uuid),
    ).toEqual([N - 3, N - 2, N - 1].map(uuidOf));
  });

  it("dict, jsonpb and table formats print every flow of the range", async () => {
    const until = new Date(BASE_MS + 9_500).toISOString(); // flows 0..9
    const jsonpb = await observe(["--since", "1h", "--until", until, "-o", "jsonpb"]);
    expect(jsonpb.stdout.trim().split("\n")).toHaveLength(10);
    const dict = await observe(["--since", "1h", "--until", until, "-o", "dict"]);
    expect(dict.stdout.match(/^ +TIMESTAMP: /gm)).toHaveLength(10);
    const table = await observe(["--since", "1h", "--until", until, "-o", "table"]);
    expect(table.stdout.trim().split("\n")).toHaveLength(11); // header + 10
  });

  it("a bad --since is exit 2 and one line; a range over the API's limit is refused in one line", async () => {
    const bad = await observe(["--since", "two days"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^flowlens observe: invalid --since: [^\n]+\n$/);
    const huge = await observe(["--since", "30d"]);
    expect(huge.code).toBe(2);
    expect(huge.stderr.trim().split("\n").at(-1)).toMatch(/^flowlens observe: flowlens-api rejected the request: .*range/);
  });
});

describe("flowlens observe --since -f: the real API's history, then live", () => {
  it("continues from the last stored flow on a live server (a fake relay), the flow at the seam once", async () => {
    // the live ring: the last two stored flows (the ingester lags nothing here) and one newer
    const at = (i: number) => testFlow({ uuid: uuidOf(i), timeMs: BASE_MS + i * 1000, verdict: Verdict.DROPPED });
    const relay = await startFakeServer([at(N - 2), at(N - 1), at(N)]);
    try {
      const run = startCli([
        "observe",
        "--since",
        "1h",
        "-f",
        "-o",
        "json",
        "--server",
        relay.address,
        "--api",
        api.url,
        "--token-file",
        join(dir, "token"),
      ]);
      const uuids = () =>
        run
          .stdout()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l).flow.uuid as string);
      await vi.waitFor(() => expect(uuids()).toHaveLength(N + 1), { timeout: 15_000 });
      relay.push(at(N + 1));
      await vi.waitFor(() => expect(uuids().at(-1)).toBe(uuidOf(N + 1)), { timeout: 5000 });
      run.interrupt();
      expect((await run.done).code).toBe(0);
      expect(uuids()).toEqual(Array.from({ length: N + 2 }, (_, i) => uuidOf(i)));
      expect(relay.requests.at(-1)).toMatchObject({ follow: true, since: at(N - 1).time });
    } finally {
      await relay.close();
    }
  });
});
