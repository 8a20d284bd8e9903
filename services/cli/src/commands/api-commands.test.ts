// In-process tests of the commands over flowlens-api, against a fake of its HTTP interface (and the fake gRPC
// live server for the history → live seam): flowlens sql, observe --since over history, -f after history.

import { mkdtempSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli, startCli } from "../testkit.js";
import { type FakeApi, startFakeApi } from "../testkit-api-server.js";
import { type FakeServer, sampleFlow, startFakeServer } from "../testkit-server.js";

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

const DEAD_SERVER = "127.0.0.1:1"; // nothing listens: the live server is unreachable
const SINCE = "2024-11-26T06:00:00Z";

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(async () => {
  await api?.close();
});
afterEach(() => {
  api.requests.length = 0;
  api.flows.length = 0;
  api.pageSize = 10_000;
  api.token = undefined;
});

describe("flowlens sql", () => {
  const answer = {
    rows: [
      { verdict: "FORWARDED", n: "12" },
      { verdict: "DROPPED", n: "3" },
    ],
    meta: [
      { name: "verdict", type: "string" },
      { name: "n", type: "string" },
    ],
    rowCount: 2,
    limitReached: false,
  };

  it("posts the query with the token from --token-file and prints a table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-cli-"));
    writeFileSync(join(dir, "token"), "# the API token\ns3cret\n");
    api.token = "s3cret";
    api.sqlAnswer = { status: 200, body: answer };
    const r = await runCli([
      "sql",
      "SELECT verdict, count() AS n FROM flows GROUP BY verdict",
      "--api",
      api.url,
      "--token-file",
      join(dir, "token"),
    ]);
    expect(r).toEqual({ code: 0, stderr: "", stdout: "verdict     n\nFORWARDED   12\nDROPPED     3\n" });
    expect(JSON.parse(api.requests[0]?.body ?? "")).toEqual({ query: "SELECT verdict, count() AS n FROM flows GROUP BY verdict" });
    expect(api.requests[0]?.auth).toBe("Bearer s3cret");
  });

  it("csv quotes as RFC 4180; json is the API's answer; $FLOWLENS_API and $FLOWLENS_API_TOKEN are used", async () => {
    api.token = "envtoken";
    api.sqlAnswer = { status: 200, body: { ...answer, rows: [{ verdict: 'a,"b"', n: "1" }] } };
    const env = { FLOWLENS_API: api.url, FLOWLENS_API_TOKEN: "envtoken" };
    const csv = await runCli(["sql", "SELECT 1", "-o", "csv", "--max-rows", "5"], env);
    expect(csv.stdout).toBe('verdict,n\r\n"a,""b""",1\r\n');
    expect(JSON.parse(api.requests[0]?.body ?? "")).toMatchObject({ max_rows: 5 });
    const js = await runCli(["sql", "SELECT 1", "-o", "json"], env);
    expect(JSON.parse(js.stdout)).toMatchObject({ rowCount: 2, limitReached: false, rows: [{ verdict: 'a,"b"' }] });
  });

  it("a cut result says so on stderr (table) and in the JSON", async () => {
    api.sqlAnswer = { status: 200, body: { ...answer, limitReached: true } };
    const r = await runCli(["sql", "SELECT 1", "--api", api.url]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("flowlens sql: limit reached: only the first 2 rows were returned (add LIMIT or --max-rows)\n");
  });

  it("a refused statement, a missing token and an unreachable API are one line each, exit 1", async () => {
    api.sqlAnswer = { status: 400, body: { error: "bad_request", detail: "only a single SELECT is allowed: found DROP" } };
    const bad = await runCli(["sql", "DROP TABLE flows", "--api", api.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("flowlens sql: flowlens-api rejected the request: only a single SELECT is allowed: found DROP\n");
    api.token = "t";
    const noToken = await runCli(["sql", "SELECT 1", "--api", api.url]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(
      /^flowlens sql: flowlens-api at http:\/\/127\.0\.0\.1:\d+ needs a token: use --token-file or \$FLOWLENS_API_TOKEN\n$/,
    );
    const port = await closedPort();
    const down = await runCli(["sql", "SELECT 1", "--api", `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `flowlens sql: cannot reach flowlens-api at http://127.0.0.1:${port}: ECONNREFUSED — is it running? use --api or $FLOWLENS_API\n`,
    );
  });

  it("bad flags exit 2 before any request", async () => {
    expect((await runCli(["sql", "SELECT 1", "--api", "ftp://x"])).code).toBe(2);
    expect((await runCli(["sql", "SELECT 1", "--api", api.url, "-o", "xml"])).code).toBe(2);
    expect((await runCli(["sql", "SELECT 1", "--api", api.url, "--max-rows", "0"])).code).toBe(2);
    expect((await runCli(["sql", "SELECT 1", "--api", api.url, "--token-file", "/nonexistent/token"])).stderr).toContain(
      "cannot read --token-file /nonexistent/token: ENOENT",
    );
    expect(api.requests).toHaveLength(0);
  });
});

describe("flowlens observe --since over the API's history", () => {
  it("reads every page with the filters as filter text, when the live server is unreachable", async () => {
    api.flows.push(sampleFlow(1), sampleFlow(2), sampleFlow(3));
    api.pageSize = 2;
    const r = await runCli([
      "observe",
      "--since",
      SINCE,
      "--server",
      DEAD_SERVER,
      "--api",
      api.url,
      "-o",
      "json",
      "--pod",
      "shop/web",
      "--to-port",
      "5432",
      "--not",
      "--verdict",
      "DROPPED",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1: connection refused .*; reading the flow history only\n$/);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).flow.uuid),
    ).toEqual(["uuid-1", "uuid-2", "uuid-3"]);
    expect(api.requests).toHaveLength(2); // two pages along the cursor
    const q = api.requests[0]?.query;
    expect(Object.fromEntries(q ?? [])).toMatchObject({
      since: "2024-11-26T06:00:00.000000000Z",
      order: "oldest",
      format: "ndjson",
      extensions: "true",
    });
    // either-side pairs stay paired, --not is a NOT of the blacklist
    expect(q?.get("filter")).toBe(
      "((source_namespace = 'shop' AND source_pod LIKE 'web%' AND destination_port = '5432') OR (destination_namespace = 'shop' AND destination_pod LIKE 'web%' AND destination_port = '5432')) AND (NOT (verdict = '2'))",
    );
    expect(api.requests[1]?.query.get("cursor")).toBe("2");
  });

  it("--last N reads the newest N and prints them oldest first, in compact form", async () => {
    api.flows.push(sampleFlow(1), sampleFlow(2), sampleFlow(3));
    const r = await runCli(["observe", "--since", SINCE, "--last", "2", "--server", DEAD_SERVER, "--api", api.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "Nov 26 06:30:01.125: shop/web:40002 (ID:1234) -> shop/db:5432 (ID:5678) to-endpoint FORWARDED (TCP Flags: SYN)",
        "Nov 26 06:30:01.126: shop/web:40003 (ID:1234) -> shop/db:5432 (ID:5678) to-endpoint FORWARDED (TCP Flags: SYN)",
        "",
      ].join("\n"),
    );
    expect(Object.fromEntries(api.requests[0]?.query ?? [])).toMatchObject({ order: "newest", limit: "2" });
  });

  it("refuses what history cannot answer and bad times with exit 2, one line", async () => {
    const trace = await runCli(["observe", "--since", SINCE, "--type", "trace", "--server", DEAD_SERVER, "--api", api.url]);
    expect(trace.code).toBe(2);
    expect(trace.stderr.trim().split("\n").at(-1)).toMatch(/^flowlens observe: the event_type filter .* cannot run on the flow history/);
    const bad = await runCli(["observe", "--since", "yesterday", "--api", api.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n")).toHaveLength(2);
    expect(bad.stderr).toMatch(/^flowlens observe: invalid --since: /);
    expect(api.requests).toHaveLength(0);
  });
});

describe("observe --since with a live server", () => {
  let live: FakeServer;
  const ring = [sampleFlow(3), sampleFlow(4), sampleFlow(5)];
  beforeAll(async () => {
    live = await startFakeServer(ring);
  });
  afterAll(async () => {
    await live?.close();
  });

  it("a ring that never overwrote a flow answers any --since itself; an unreachable API then does not matter", async () => {
    const whole = await startFakeServer(ring, { numFlows: 3n, seenFlows: 3n });
    try {
      const r = await runCli([
        "observe",
        "--since",
        "2020-01-01T00:00:00Z",
        "--server",
        whole.address,
        "--api",
        `http://127.0.0.1:${await closedPort()}`,
        "-o",
        "json",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(
        r.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).flow.uuid),
      ).toEqual(["uuid-3", "uuid-4", "uuid-5"]);
      expect(r.stderr).toBe("");
    } finally {
      await whole.close();
    }
  });

  it("a lapped ring with the API unreachable: one line on stderr, then what the live ring holds", async () => {
    const r = await runCli([
      "observe",
      "--since",
      "2020-01-01T00:00:00Z",
      "--server",
      live.address,
      "--api",
      `http://127.0.0.1:${await closedPort()}`,
      "-o",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^flowlens observe: cannot reach flowlens-api at .*; showing what the live ring holds/);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).flow.uuid),
    ).toEqual(["uuid-3", "uuid-4", "uuid-5"]);
  });

  it("a lapped ring and a filter only live flows carry: one line on stderr, then what the live ring holds", async () => {
    const r = await runCli([
      "observe",
      "--since",
      "2020-01-01T00:00:00Z",
      "--type",
      "trace",
      "--server",
      live.address,
      "--api",
      api.url,
      "-o",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^flowlens observe: the event_type filter .* cannot run on the flow history.*; showing what the live ring holds\n$/,
    );
    expect(api.requests).toHaveLength(0);
  });

  it("stays live when the ring holds the start of the range", async () => {
    const r = await runCli(["observe", "--since", "2024-11-26T06:30:01.126Z", "--server", live.address, "--api", api.url, "-o", "json"]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).flow.uuid),
    ).toEqual(["uuid-3", "uuid-4", "uuid-5"]);
    expect(api.requests).toHaveLength(0);
  });

  it("-f: history first, then live from the last stored flow, the flow at the seam once", async () => {
    api.flows.push(sampleFlow(1), sampleFlow(2), sampleFlow(3)); // uuid-3 is in both
    const run = startCli(["observe", "--since", SINCE, "-f", "--server", live.address, "--api", api.url, "-o", "json"]);
    const uuids = () =>
      run
        .stdout()
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).flow.uuid);
    await vi.waitFor(() => expect(uuids()).toEqual(["uuid-1", "uuid-2", "uuid-3", "uuid-4", "uuid-5"]), { timeout: 5000 });
    await vi.waitFor(() => expect(live.openStreams()).toBe(1));
    live.push(sampleFlow(6));
    await vi.waitFor(() => expect(uuids().at(-1)).toBe("uuid-6"), { timeout: 5000 });
    run.interrupt();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(uuids()).toEqual(["uuid-1", "uuid-2", "uuid-3", "uuid-4", "uuid-5", "uuid-6"]);
    const followReq = live.requests.at(-1);
    expect(followReq?.follow).toBe(true);
    expect(followReq?.since).toEqual(sampleFlow(3).time); // live starts at the last stored flow's time
  });

  it("-f needs the live server: unreachable is exit 1 before reading history", async () => {
    const r = await runCli(["observe", "--since", SINCE, "-f", "--server", DEAD_SERVER, "--api", api.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flowlens observe: cannot connect to 127\.0\.0\.1:1: connection refused/);
    expect(api.requests).toHaveLength(0);
  });
});

describe("observe --last N beyond the live ring", () => {
  let live: FakeServer;
  beforeAll(async () => {
    live = await startFakeServer([sampleFlow(4), sampleFlow(5)]); // ServerStatus says 1234 flows
  });
  afterAll(async () => {
    await live?.close();
  });

  it("reads the newest N of the last 7 days from the history when N is more than the ring holds", async () => {
    const now = Date.now();
    api.flows.push(sampleFlow(1, now - 3000), sampleFlow(2, now - 2000), sampleFlow(3, now - 1000));
    const r = await runCli(["observe", "--last", "2000", "--server", live.address, "--api", api.url, "-o", "json"]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).flow.uuid),
    ).toEqual(["uuid-1", "uuid-2", "uuid-3"]);
    const q = api.requests[0]?.query;
    expect(q?.get("order")).toBe("newest");
    expect(q?.get("limit")).toBe("2000");
    const range = Date.parse(q?.get("until") ?? "") - Date.parse(q?.get("since") ?? "");
    expect(range).toBe(7 * 86_400_000);
  });

  it("stays live when the ring holds N, and for the default count", async () => {
    const last = await runCli(["observe", "--last", "1234", "--server", live.address, "--api", api.url, "-o", "json"]);
    expect(
      last.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).flow.uuid),
    ).toEqual(["uuid-4", "uuid-5"]);
    const plain = await runCli(["observe", "--server", live.address, "--api", api.url, "-o", "json"]);
    expect(plain.code).toBe(0);
    expect(api.requests).toHaveLength(0);
  });
});
