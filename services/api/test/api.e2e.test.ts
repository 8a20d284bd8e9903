// flowlens-api end to end: the real binary against the real ClickHouse (harness, Debian's 18.16), flows
// stored through @flowlens/clickhouse's store (the ingester's path), ndjson read by the real hubble CLI.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFlowStore, type FlowStore } from "@flowlens/clickhouse";
import { testFlow } from "@flowlens/clickhouse/testkit";
import { Verdict } from "@flowlens/proto";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { run } from "@flowlens/test-harness/run";
import { REPO_ROOT } from "@flowlens/test-harness/topology";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_BIN, type ApiDaemon, startApi } from "./daemon.js";

const TOKEN = "e2e-token-0123456789";
const N = 250;
const BASE_MS = Date.now() - 30 * 60_000;
const HUBBLE = join(REPO_ROOT, ".cache/bin/hubble");

let ch: ClickHouseServer;
let store: FlowStore;
let api: ApiDaemon;
const dir = mkdtempSync(join(tmpdir(), "flowlens-api-e2e-"));

// every 5th flow shares its time with the one before (same second and nanosecond): only uuid orders them
const timeOf = (i: number) => BASE_MS + (i - (i % 5 === 4 ? 1 : 0)) * 1000 + 0.5;

async function get(path: string, token: string | undefined = TOKEN) {
  const res = await fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return res;
}
async function getJson(path: string, token?: string) {
  const res = await get(path, token);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function sql(query: string, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${api.url}/api/v1/sql`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ query, ...extra }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  ch = await startClickHouse();
  store = createFlowStore({ url: ch.url });
  await store.migrate();
  const flows = Array.from({ length: N }, (_, i) =>
    testFlow({ uuid: `e2e-${String(i).padStart(4, "0")}`, timeMs: timeOf(i), verdict: i % 3 === 0 ? Verdict.DROPPED : Verdict.FORWARDED }),
  );
  await store.insertFlows(flows);
  writeFileSync(join(dir, "tokens"), `# e2e\n${TOKEN}\n`);
  api = await startApi(["--clickhouse-url", ch.url, "--tokens-file", join(dir, "tokens"), "--max-range", "2d"]);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await store?.close();
  await ch?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function allPages(order: "newest" | "oldest", limit: number): Promise<string[]> {
  const uuids: string[] = [];
  let cursor = "";
  for (let page = 0; page < 100; page++) {
    const { status, body } = await getJson(`/api/v1/flows?since=1h&limit=${limit}&order=${order}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(status).toBe(200);
    uuids.push(...(body.flows as { uuid: string }[]).map((f) => f.uuid));
    if (body.next === null) return uuids;
    cursor = body.next as string;
  }
  throw new Error("more than 100 pages");
}

describe("flowlens-api on ClickHouse 18.16", () => {
  it("pages every stored flow once, newest and oldest first, through the cursor", async () => {
    const all = Array.from({ length: N }, (_, i) => `e2e-${String(i).padStart(4, "0")}`);
    const oldest = await allPages("oldest", 37);
    expect(oldest).toEqual(all);
    const newest = await allPages("newest", 40);
    expect(newest).toEqual([...all].reverse());
  });

  it("keeps to since/until (RFC 3339 and unix seconds)", async () => {
    const since = new Date(BASE_MS + 10_000).toISOString();
    const until = Math.floor((BASE_MS + 19_999) / 1000);
    const { body } = await getJson(`/api/v1/flows?since=${since}&until=${until}&order=oldest&limit=100`);
    const got = (body.flows as { uuid: string; time: string }[]).map((f) => f.uuid);
    // flows 10..19 by time; 19's time equals 18's, and 20's is BASE+19s too (i%5==4 shares the previous second)
    expect(got[0]).toBe("e2e-0010");
    expect(got).not.toContain("e2e-0009");
    for (const f of body.flows as { time: string }[]) expect(Date.parse(f.time)).toBeLessThanOrEqual((until + 1) * 1000);
  });

  it("answers Hubble's Flow JSON, masked by fields=", async () => {
    const { body } = await getJson("/api/v1/flows?since=1h&limit=1&order=oldest");
    const [f] = body.flows as Record<string, unknown>[];
    expect(f).toMatchObject({ uuid: "e2e-0000", verdict: "DROPPED", node_name: "node-a", source: { pod_name: "frontend-7d9f" } });
    expect(f.extensions).toBeUndefined();
    const ext = await getJson("/api/v1/flows?since=1h&limit=1&order=oldest&extensions=true");
    expect((ext.body.flows as Record<string, unknown>[])[0].extensions).toMatchObject({ packets: "10", comm: "curl" });
    const masked = await getJson("/api/v1/flows?since=1h&limit=1&order=oldest&fields=uuid,verdict");
    expect(masked.body.flows).toEqual([{ uuid: "e2e-0000", verdict: "DROPPED" }]);
  });

  it("serves ndjson that the real hubble CLI reads with --input-file", async () => {
    const res = await get("/api/v1/flows?since=1h&limit=20&order=oldest&format=ndjson");
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const text = await res.text();
    expect(text.trim().split("\n")).toHaveLength(20);
    // piped, as `curl … | hubble observe --input-file -`
    const r = await run([HUBBLE, "observe", "--input-file", "-", "-o", "json"], { input: text, timeoutMs: 30_000, allowFail: true });
    expect(r.code, `${r.stderr}\n${text.split("\n")[0]}`).toBe(0);
    const seen = r.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { flow: { uuid: string } }).flow.uuid);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `e2e-${String(i).padStart(4, "0")}`));
    const dropped = await run([HUBBLE, "observe", "--input-file", "-", "--verdict", "DROPPED", "-o", "json"], {
      input: text,
      timeoutMs: 30_000,
    });
    expect(dropped.stdout.trim().split("\n")).toHaveLength(7);
  });

  it("filters with the filter language and Hubble's parameters, ANDed, compiled by @flowlens/flow-query", async () => {
    const dropped = Array.from({ length: N }, (_, i) => i).filter((i) => i % 3 === 0).length;
    const byExpr = await getJson(`/api/v1/flows?since=1h&limit=1000&filter=${encodeURIComponent("verdict = DROPPED")}`);
    expect(byExpr.status).toBe(200);
    const flows = byExpr.body.flows as { verdict: string }[];
    expect(flows).toHaveLength(dropped);
    expect(new Set(flows.map((f) => f.verdict))).toEqual(new Set(["DROPPED"]));
    const byParam = await getJson("/api/v1/flows?since=1h&limit=1000&verdict=DROPPED");
    expect((byParam.body.flows as unknown[]).length).toBe(dropped);
    const notDropped = await getJson(`/api/v1/flows?since=1h&limit=1000&filter=${encodeURIComponent("NOT verdict = DROPPED")}`);
    expect((notDropped.body.flows as unknown[]).length).toBe(N - dropped);
    // Both given: ANDed, so nothing is both DROPPED and FORWARDED.
    const both = await getJson(`/api/v1/flows?since=1h&limit=1000&verdict=FORWARDED&filter=${encodeURIComponent("verdict = DROPPED")}`);
    expect(both.body.flows).toEqual([]);
  });

  it("answers a bad filter with a 400 that points at the position, and an injection attempt matches nothing", async () => {
    const bad = await getJson(`/api/v1/flows?since=1h&filter=${encodeURIComponent("verdict = DROPPED AND sorce_pod = x")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/sorce_pod.*1:23.*source_pod/);
    expect(bad.body.position).toMatchObject({ offset: 22, line: 1, column: 23 });
    const badParam = await getJson("/api/v1/flows?since=1h&verdict=MAYBE");
    expect(badParam.status).toBe(400);
    const inject = await getJson(`/api/v1/flows?since=1h&filter=${encodeURIComponent('source_pod = "x\' OR 1=1 --"')}`);
    expect(inject.status).toBe(200);
    expect(inject.body.flows).toEqual([]);
  });

  it("runs a SELECT as the read-only user and caps its rows", async () => {
    const r = await sql("SELECT count() AS n FROM flowlens.flows_dedup");
    expect(r.status).toBe(200);
    expect(Number((r.body.rows as { n: string }[])[0].n)).toBe(N);
    const ro = await sql("SELECT value FROM system.settings WHERE name = 'readonly' FORMAT JSON");
    expect(ro.body.rows, JSON.stringify(ro.body)).toEqual([{ value: "1" }]);
    const bad = await sql("SELECT no_such_column FROM flowlens.flows");
    expect(bad).toMatchObject({
      status: 400,
      body: { error: "bad_request", detail: expect.stringMatching(/^sql: ClickHouse: .*no_such_column/) },
    });
    const capped = await sql("SELECT number FROM system.numbers LIMIT 100000", { max_rows: 10 });
    expect(capped.body).toMatchObject({ rowCount: 10, limitReached: true });
  });

  it.each([
    "SELECT 1; SELECT 2",
    "INSERT INTO flowlens.flows (uuid) VALUES ('x')",
    "DROP TABLE flowlens.flows",
    "SET readonly = 0",
    "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')",
    "INSERT INTO FUNCTION file('/tmp/flowlens-api-e2e.csv', 'CSV', 'a String') SELECT 'x'",
  ])("refuses %j with a 400 and stores nothing", async (q) => {
    const r = await sql(q);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "bad_request", detail: expect.stringMatching(/^sql: /) });
    expect(await store.countFlows()).toBe(N);
  });

  it("refuses a huge range (422), an oversized body (413), and answers auth with 401/403", async () => {
    expect((await getJson("/api/v1/flows?since=30d")).status).toBe(422);
    const big = await fetch(`${api.url}/api/v1/sql`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ query: `SELECT '${"x".repeat(1_200_000)}'` }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: "payload_too_large" });
    expect((await getJson("/api/v1/flows", "")).status).toBe(401);
    expect((await get("/api/v1/flows", "wrong-token")).status).toBe(403);
  });

  it("reports status: version, tables, coverage", async () => {
    const { status, body } = await getJson("/api/v1/status");
    expect(status).toBe(200);
    expect((body.clickhouse as { version: string }).version).toMatch(/^\d+\.\d+/);
    const flows = (body.tables as { table: string; rows: number; oldest: string }[]).find((t) => t.table === "flows");
    expect(flows?.rows).toBe(N);
    expect(Date.parse(flows?.oldest ?? "")).toBe(Math.floor(BASE_MS / 1000) * 1000);
  });

  it("answers 502 while ClickHouse is stopped, without crashing, and recovers", async () => {
    await ch.stop();
    try {
      const r = await getJson("/api/v1/flows?since=1h");
      expect(r).toMatchObject({ status: 502, body: { error: "clickhouse_unavailable" } });
      expect((await getJson("/api/v1/status")).status).toBe(502);
      expect((await get("/healthz")).status).toBe(503);
      expect(api.child.exitCode).toBeNull();
    } finally {
      await ch.start();
    }
    expect((await getJson("/api/v1/flows?since=1h&limit=1")).status).toBe(200);
    const metrics = await (await get("/metrics")).text();
    expect(metrics).toMatch(/flowlens_api_requests_total\{route="\/api\/v1\/flows",code="502"\} 1/);
    expect(metrics).toMatch(/flowlens_api_clickhouse_query_seconds_count\{query="flows"\} \d+/);
  });
});

describe("flowlens-api flags", () => {
  it("refuses --insecure-no-auth on a non-loopback address with one line, exit 2", async () => {
    const r = await run([process.execPath, API_BIN, "--insecure-no-auth", "--listen-address", "0.0.0.0:4280"], { allowFail: true });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      "flowlens-api: --insecure-no-auth is only allowed on a loopback address, not 0.0.0.0:4280: give --tokens-file",
    ]);
  });
  it("serves without tokens with --insecure-no-auth on loopback", async () => {
    const open = await startApi(["--insecure-no-auth", "--clickhouse-url", ch.url]);
    try {
      expect(open.output()).toContain("NO AUTH, loopback only");
      expect((await fetch(`${open.url}/api/v1/status`)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
  it("refuses to start without tokens", async () => {
    const r = await run([process.execPath, API_BIN], { allowFail: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tokens-file is required/);
  });
});
