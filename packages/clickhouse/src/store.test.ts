// The store against a real ClickHouse server (Debian's 18.16 here): migration, inserts, dedup, rollup, retention.
import { FlowEvent, Verdict } from "@flowlens/proto";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrate } from "./migrate.js";
import { backfillRollups } from "./rollup-repair.js";
import { ROLLUPS, rollupSelectOf } from "./rollups.js";
import { type FlowRow, flowToRow } from "./rows.js";
import { MIGRATIONS } from "./schema.js";
import { literal, sql } from "./sql.js";
import { createFlowStore, type FlowStore } from "./store.js";
import { testFlow } from "./testkit.js";

const DAY = 86_400_000;

describe("flow store on a real server", () => {
  let ch: ClickHouseServer;
  let store: FlowStore;

  async function rows<T>(query: string): Promise<T[]> {
    const rs = await store.client.query({ query, format: "JSONEachRow" });
    return rs.json<T>();
  }
  async function truncate() {
    for (const t of ["flows", "flows_minute", "flows_5m", "flows_1h"])
      await store.client.command({ query: `TRUNCATE TABLE flowlens.${t}` });
  }

  beforeAll(async () => {
    ch = await startClickHouse();
    store = createFlowStore({ url: ch.url });
  });
  afterAll(async () => {
    await store?.close();
    await ch?.destroy();
  });

  test("migration is idempotent: the second run applies nothing and changes nothing", async () => {
    const first = await store.migrate();
    expect(first).toEqual({ applied: [1, 2, 3, 4], current: 4 });
    const tables = await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = 'flowlens' ORDER BY name");
    const second = await store.migrate();
    expect(second).toEqual({ applied: [], current: 4 });
    expect(await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = 'flowlens' ORDER BY name")).toEqual(tables);
    expect(tables.map((t) => t.name)).toEqual([
      "flows",
      "flows_1h",
      "flows_1h_mv",
      "flows_5m",
      "flows_5m_mv",
      "flows_dedup",
      "flows_minute",
      "flows_minute_mv2",
      "schema_migrations",
    ]);
    expect(await rows("SELECT version FROM flowlens.schema_migrations FINAL ORDER BY version")).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
      { version: 4 },
    ]);
  });

  test("literals round-trip through the server unchanged", async () => {
    const nasty = [
      "it's",
      "a\\b",
      "\\'",
      "x' OR 1=1 --",
      "line\nbreak\ttab\rcr",
      "nul\0byte",
      "\x01\x7f",
      "päd 🚀",
      "{p:String}",
      "",
      "'; DROP TABLE flowlens.flows; --",
    ];
    for (const s of nasty) {
      const [r] = await rows<{ v: string }>(sql`SELECT ${s} AS v`.text);
      expect(r.v).toBe(s);
    }
    const [r] = await rows<{ a: string[]; n: number; d: string }>(
      sql`SELECT ${["a'", "b\\"]} AS a, ${-12.5} AS n, toString(${new Date(Date.UTC(2024, 1, 29, 23, 59, 58))}) AS d`.text,
    );
    expect(r).toEqual({ a: ["a'", "b\\"], n: -12.5, d: "2024-02-29 23:59:58" });
    expect(literal(18446744073709551615n).text).toBe("18446744073709551615");
    const [big] = await rows<{ v: string }>(sql`SELECT toString(${18446744073709551615n}) AS v`.text);
    expect(big.v).toBe("18446744073709551615");
  });

  test("inserts realistic flows and reads the columns back", async () => {
    await truncate();
    const now = Date.now();
    await store.insertFlows([testFlow({ uuid: "r-1", timeMs: now, events: [FlowEvent.NEW] })]);
    const [r] = await rows<FlowRow>("SELECT * FROM flowlens.flows");
    expect(r).toMatchObject({
      uuid: "r-1",
      src_pod: "frontend-7d9f",
      dst_port: 8080,
      verdict: "FORWARDED",
      tcp_flags: ["SYN"],
      src_labels: ["k8s:app=frontend", "k8s:tier=web"],
    });
    expect(Number(r.bytes)).toBe(1500);
    expect(r.time).toBe(flowToRow(testFlow({ uuid: "r-1", timeMs: now })).time);
    expect(await store.countFlows(sql`src_pod = ${"frontend-7d9f"} AND dst_port = ${8080}`)).toBe(1);
    expect(await store.countFlows(sql`src_pod = ${"nobody"}`)).toBe(0);
  });

  test("nasty strings survive the TabSeparated and the JSONEachRow insert alike", async () => {
    await truncate();
    const nasty = ["tab\there", "new\nline", "cr\rx", "back\\slash", "quote'", "[x]", "\\'", "\\N", "nul\0", "ü🚀", "a,b", "{x}"];
    const viaJson = createFlowStore({ url: ch.url, insertFormat: "JSONEachRow" });
    try {
      const make = (prefix: string) =>
        nasty.map((s, i) => ({
          ...flowToRow(testFlow({ uuid: `${prefix}-${i}`, timeMs: Date.now() })),
          src_pod: s,
          src_labels: [s, `k=${s}`],
          comm: s,
        }));
      await store.insertRows(make("tsv"));
      await viaJson.insertRows(make("json"));
    } finally {
      await viaJson.close();
    }
    const got = await rows<{ uuid: string; src_pod: string; src_labels: string[]; comm: string }>(
      "SELECT uuid, src_pod, src_labels, comm FROM flowlens.flows ORDER BY uuid",
    );
    for (const prefix of ["tsv", "json"]) {
      const mine = got
        .filter((r) => r.uuid.startsWith(`${prefix}-`))
        .sort((a, b) => Number(a.uuid.split("-")[1]) - Number(b.uuid.split("-")[1]));
      expect(mine.map((r) => r.src_pod)).toEqual(nasty);
      expect(mine.map((r) => r.comm)).toEqual(nasty);
      expect(mine.map((r) => r.src_labels)).toEqual(nasty.map((s) => [s, `k=${s}`]));
    }
  });

  test("a flow inserted twice (same uuid) is counted once by the dedup-aware count, before and after merges", async () => {
    await truncate();
    const now = Date.now();
    const flows = Array.from({ length: 500 }, (_, i) => testFlow({ uuid: `d-${i}`, timeMs: now + i }));
    await store.insertFlows(flows);
    await store.insertFlows(flows.slice(100, 300)); // an ingester replay of part of a batch
    const [plain] = await rows<{ n: string }>("SELECT count() AS n FROM flowlens.flows");
    expect(Number(plain.n)).toBe(700); // two parts, not merged yet: the raw count sees the duplicates
    expect(await store.countFlows()).toBe(500);
    const [view] = await rows<{ n: string }>("SELECT count() AS n FROM flowlens.flows_dedup");
    expect(Number(view.n)).toBe(500);
    await store.client.command({ query: "OPTIMIZE TABLE flowlens.flows FINAL" });
    const [merged] = await rows<{ n: string }>("SELECT count() AS n FROM flowlens.flows");
    expect(Number(merged.n)).toBe(500);
  });

  test("skipExisting leaves out what is stored, so the rollup does not count a replay twice", async () => {
    await truncate();
    const now = Date.now();
    const flows = Array.from({ length: 300 }, (_, i) => testFlow({ uuid: `s-${i}`, timeMs: now + i * 10 }));
    expect(await store.insertFlows(flows.slice(0, 200))).toEqual({ inserted: 200, skipped: 0 });
    expect(await store.insertFlows(flows, { skipExisting: true })).toEqual({ inserted: 100, skipped: 200 });
    expect(await store.insertFlows(flows, { skipExisting: true })).toEqual({ inserted: 0, skipped: 300 });
    const [raw] = await rows<{ n: string }>("SELECT count() AS n FROM flowlens.flows");
    expect(Number(raw.n)).toBe(300);
    const [rollup] = await rows<{ n: string }>("SELECT sum(flows) AS n FROM flowlens.flows_minute");
    expect(Number(rollup.n)).toBe(300);
  });

  test("skipExisting repairs the rollup of stored rows the view never counted (server stopped between the two parts)", async () => {
    await truncate();
    const now = Date.now();
    const flows = Array.from({ length: 300 }, (_, i) =>
      testFlow({
        uuid: `p-${i}`,
        timeMs: now - 90_000 + i * 500,
        srcPort: 40000 + (i % 7),
        events: i % 3 ? [FlowEvent.NEW] : [FlowEvent.END],
        verdict: i % 5 ? Verdict.FORWARDED : Verdict.DROPPED,
      }),
    );
    await store.insertFlows(flows.slice(0, 50));
    // The partial insert: 150 rows reach flows, their rollup parts never do (views detached).
    const views = ROLLUPS.map((r) => r.view);
    for (const v of views) await store.client.command({ query: `DETACH TABLE flowlens.${v}` });
    try {
      await store.insertFlows(flows.slice(50, 200));
    } finally {
      for (const v of views) await store.client.command({ query: `ATTACH TABLE flowlens.${v}` });
    }
    const rollup = async () =>
      rows<Record<string, string>>(
        "SELECT sum(flows) AS flows, sum(connections) AS connections, sum(packets) AS packets, sum(bytes) AS bytes, sum(drops) AS drops FROM flowlens.flows_minute",
      );
    expect(Number((await rollup())[0].flows)).toBe(50);
    expect(await store.insertFlows(flows, { skipExisting: true })).toEqual({ inserted: 100, skipped: 200, repaired: 150 });
    expect(await store.insertFlows(flows, { skipExisting: true })).toEqual({ inserted: 0, skipped: 300 });
    // Every column of the rollup equals the view's query over the raw table, cell by cell.
    const cells =
      "SELECT minute, source_pod, destination_port, verdict, sum(flows) AS f, sum(connections) AS c, sum(packets) AS p, sum(bytes) AS b, sum(drops) AS d";
    const byCell = "GROUP BY minute, source_pod, destination_port, verdict ORDER BY minute, source_pod, destination_port, verdict";
    const fromRaw = await rows(`${cells} FROM (${rollupSelectOf(ROLLUPS[0], "flowlens.flows FINAL")}) ${byCell}`);
    expect(fromRaw.length).toBeGreaterThan(2);
    expect(await rows(`${cells} FROM flowlens.flows_minute ${byCell}`)).toEqual(fromRaw);
    expect(Number((await rollup())[0].flows)).toBe(300);
    // and so does each coarse rollup
    for (const r of ROLLUPS.filter((x) => x.table !== "flows_minute")) {
      const c = `SELECT ${r.timeColumn}, source_workload, destination_port, verdict, sum(flows) AS f, sum(connections) AS c, sum(packets) AS p, sum(bytes) AS b, sum(drops) AS d`;
      const by = `GROUP BY ${r.timeColumn}, source_workload, destination_port, verdict ORDER BY ${r.timeColumn}, source_workload, destination_port, verdict`;
      const want = await rows(`${c} FROM (${rollupSelectOf(r, "flowlens.flows FINAL")}) ${by}`);
      expect(want.length).toBeGreaterThan(0);
      expect(await rows(`${c} FROM flowlens.${r.table} ${by}`)).toEqual(want);
    }
  });

  test("the per-minute rollup sums connections, END counters and drops, oriented client → server", async () => {
    await truncate();
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const flows = [];
    for (let c = 0; c < 3; c++) {
      const port = 41000 + c;
      flows.push(
        testFlow({ uuid: `c${c}-new`, timeMs: minute + 1000, srcPort: port, events: [FlowEvent.NEW], bytes: 60, packets: 1 }),
        // the reply direction: the server is the flow's source
        testFlow({
          uuid: `c${c}-reply`,
          timeMs: minute + 2000,
          reply: true,
          srcPod: "backend-5c4b",
          dstPod: "frontend-7d9f",
          srcPort: 8080,
          dstPort: port,
          events: [FlowEvent.NEW, FlowEvent.END],
          bytes: 5000,
          packets: 5,
        }),
        testFlow({ uuid: `c${c}-end`, timeMs: minute + 3000, srcPort: port, events: [FlowEvent.END], bytes: 1000, packets: 4 }),
      );
    }
    flows.push(
      testFlow({
        uuid: "drop-1",
        timeMs: minute + 4000,
        dstPort: 5432,
        dstPod: "db-0",
        verdict: Verdict.DROPPED,
        events: [FlowEvent.NEW, FlowEvent.DROP],
      }),
    );
    // split into two inserts so the rollup has two parts to sum
    await store.insertFlows(flows.slice(0, 5));
    await store.insertFlows(flows.slice(5));
    const got = await rows<Record<string, string | number>>(
      `SELECT source_pod, source_workload, destination_pod, destination_workload, destination_port, protocol, verdict,
              sum(flows) AS flows, sum(connections) AS connections, sum(bytes) AS bytes, sum(packets) AS packets, sum(drops) AS drops
       FROM flowlens.flows_minute WHERE minute = toDateTime(${literal(new Date(minute)).text.slice("toDateTime(".length, -")".length)})
       GROUP BY source_pod, source_workload, destination_pod, destination_workload, destination_port, protocol, verdict
       ORDER BY destination_port`,
    );
    const norm = got.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v])),
    );
    expect(norm).toEqual([
      {
        source_pod: "frontend-7d9f",
        source_workload: "frontend",
        destination_pod: "db-0",
        destination_workload: "db",
        destination_port: 5432,
        protocol: "TCP",
        verdict: "DROPPED",
        flows: 1,
        connections: 1,
        bytes: 0,
        packets: 0,
        drops: 1,
      },
      {
        source_pod: "frontend-7d9f",
        source_workload: "frontend",
        destination_pod: "backend-5c4b",
        destination_workload: "backend",
        destination_port: 8080,
        protocol: "TCP",
        verdict: "FORWARDED",
        flows: 9,
        connections: 3,
        bytes: 3 * (5000 + 1000),
        packets: 3 * (5 + 4),
        drops: 0,
      },
    ]);
  });

  test("an existing database upgrades: migration 4 adds the coarse rollups and fills them from the stored flows", async () => {
    const db = "flowlens_upgrade";
    const old = createFlowStore({ url: ch.url, database: db });
    try {
      expect(await migrate(old.client, db, MIGRATIONS.slice(0, 3))).toEqual({ applied: [1, 2, 3], current: 3 });
      const t0 = Date.now() - 3 * DAY;
      const flows = Array.from({ length: 400 }, (_, i) =>
        testFlow({ uuid: `u-${i}`, timeMs: t0 + i * 600_000, events: i % 2 ? [FlowEvent.END] : [FlowEvent.NEW], bytes: 100 + i }),
      );
      await old.insertFlows(flows);
      await old.insertFlows(flows.slice(0, 50)); // a replay in the raw table: FINAL counts it once
      expect(await migrate(old.client, db)).toEqual({ applied: [4], current: 4 });
      const sums = async (table: string) =>
        (await rows<{ f: string; b: string }>(`SELECT sum(flows) AS f, sum(bytes) AS b FROM ${db}.${table}`)).map((r) => [
          Number(r.f),
          Number(r.b),
        ]);
      const [raw] = await rows<{ b: string }>(`SELECT sumIf(bytes, has(flow_events, 'END')) AS b FROM ${db}.flows FINAL`);
      for (const t of ["flows_5m", "flows_1h"]) expect([t, ...(await sums(t))]).toEqual([t, [400, Number(raw.b)]]);
      // run again (an interrupted upgrade is run again): nothing is added twice
      expect(await backfillRollups(old.client, db, ["flows_5m", "flows_1h"])).toEqual({ flows_5m: 0, flows_1h: 0 });
      // and new inserts reach every rollup through the new views
      await old.insertFlows([testFlow({ uuid: "after", timeMs: Date.now() })]);
      for (const t of ["flows_minute", "flows_5m", "flows_1h"])
        expect([t, (await sums(t))[0][0]]).toEqual([t, t === "flows_minute" ? 451 : 401]);
    } finally {
      await old.client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
      await old.close();
    }
  });

  test("an L7 response (is_reply unknown) counts for its connection client → server:port in every rollup", async () => {
    await truncate();
    const t = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 5000;
    const request = { ...flowToRow(testFlow({ uuid: "l7-req", timeMs: t, srcPort: 45555 })), type: "L7", l7_type: "REQUEST", is_reply: -1 };
    const response = {
      ...flowToRow(
        testFlow({ uuid: "l7-resp", timeMs: t + 10, srcPod: "backend-5c4b", dstPod: "frontend-7d9f", srcPort: 8080, dstPort: 45555 }),
      ),
      type: "L7",
      l7_type: "RESPONSE",
      is_reply: -1,
    };
    await store.insertRows([request, response]);
    for (const r of ROLLUPS) {
      const got = await rows<Record<string, string | number>>(
        `SELECT source_workload, destination_workload, destination_port, sum(flows) AS flows FROM flowlens.${r.table} GROUP BY source_workload, destination_workload, destination_port`,
      );
      expect(got.map((x) => [x.source_workload, x.destination_workload, Number(x.destination_port), Number(x.flows)])).toEqual([
        ["frontend", "backend", 8080, 2],
      ]);
    }
  });

  test("retention keeps days per table: raw flows dropped, coarser rollups kept", async () => {
    await truncate();
    const now = new Date(Date.UTC(2030, 0, 20, 12, 0, 0));
    await store.insertFlows([
      testFlow({ uuid: "r-40", timeMs: now.getTime() - 40 * DAY }),
      testFlow({ uuid: "r-10", timeMs: now.getTime() - 10 * DAY }),
    ]);
    expect(await store.dropPartitionsOlderThan({ flows: 7, flows_minute: 30, flows_5m: 90, flows_1h: 400 }, now)).toEqual([
      "20291211",
      "20300110",
    ]);
    const count = async (table: string) => Number((await rows<{ n: string }>(`SELECT count() AS n FROM flowlens.${table}`))[0].n);
    expect([await count("flows"), await count("flows_minute"), await count("flows_5m"), await count("flows_1h")]).toEqual([0, 1, 2, 2]);
  });

  test("retention drops day partitions older than the setting and nothing newer", async () => {
    await truncate();
    const now = new Date(Date.UTC(2030, 0, 20, 12, 0, 0));
    const at = (daysAgo: number, i: number) =>
      testFlow({ uuid: `t-${daysAgo}-${i}`, timeMs: now.getTime() - daysAgo * DAY, events: [FlowEvent.NEW] });
    await store.insertFlows([at(10, 0), at(10, 1), at(8, 0), at(7, 0), at(6, 0), at(0, 0)]);
    expect(await store.dropPartitionsOlderThan(7, now)).toEqual(["20300110", "20300112"]);
    const left = await rows<{ d: string; n: string }>(
      "SELECT toString(toDate(time)) AS d, count() AS n FROM flowlens.flows GROUP BY d ORDER BY d",
    );
    expect(left.map((r) => [r.d, Number(r.n)])).toEqual([
      ["2030-01-13", 1],
      ["2030-01-14", 1],
      ["2030-01-20", 1],
    ]);
    const rollupDays = await rows<{ d: string }>("SELECT DISTINCT toString(toDate(minute)) AS d FROM flowlens.flows_minute ORDER BY d");
    expect(rollupDays.map((r) => r.d)).toEqual(["2030-01-13", "2030-01-14", "2030-01-20"]);
    expect(await store.dropPartitionsOlderThan(7, now)).toEqual([]);
    await expect(store.dropPartitionsOlderThan(Number.NaN)).rejects.toThrow(/retention days/);
  });

  // How fast ClickHouse takes batches is measured by bench/ingester.ts (rows/s); this only prints the rate.
  test("inserts a 50k-flow batch (prints the rate)", async () => {
    await truncate();
    const now = Date.now();
    const flows = Array.from({ length: 50_000 }, (_, i) => testFlow({ uuid: `p-${i}`, timeMs: now + i, srcPort: 30000 + (i % 30000) }));
    const built = flows.map((f) => flowToRow(f));
    const t0 = performance.now();
    await store.insertRows(built);
    const insertMs = performance.now() - t0;
    console.log(
      `insert 50000 rows (TabSeparated, one batch): ${insertMs.toFixed(0)} ms = ${Math.round(50_000 / (insertMs / 1000))} rows/s`,
    );
    expect(await store.countFlows()).toBe(50_000);
  });

  test("errors name what failed", async () => {
    const down = createFlowStore({ url: "http://127.0.0.1:1", requestTimeoutMs: 2000 });
    try {
      await expect(down.insertFlows([testFlow({ uuid: "x", timeMs: Date.now() })])).rejects.toThrow(
        /^clickhouse insert 1 rows into flowlens\.flows: /,
      );
      await expect(down.countFlows()).rejects.toThrow(/^clickhouse count flows in flowlens\.flows: /);
      expect(await down.ping()).toBe(false);
    } finally {
      await down.close();
    }
    expect(() => createFlowStore({ url: ch.url, database: "bad-name" })).toThrow(/invalid SQL identifier/);
  });
});
