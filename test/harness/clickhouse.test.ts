// The ClickHouse harness: a real server starts, takes the schema and rows, and keeps its data across stop/start.
import { createFlowStore, type FlowStore } from "@flowlens/clickhouse";
import { testFlow } from "@flowlens/clickhouse/testkit";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ClickHouseServer, startClickHouse } from "./clickhouse.js";

describe("clickhouse harness", () => {
  let ch: ClickHouseServer;
  let store: FlowStore;

  beforeAll(async () => {
    ch = await startClickHouse();
    store = createFlowStore({ url: ch.url });
  });
  afterAll(async () => {
    await store?.close();
    await ch?.destroy();
  });

  test("answers on loopback with a version, and the read-only user cannot write", async () => {
    expect(ch.url).toBe(`http://127.0.0.1:${ch.httpPort}`);
    expect(await (await fetch(`${ch.url}/ping`)).text()).toBe("Ok.\n");
    const reader = createFlowStore({ url: ch.url, username: "flowlens_reader" });
    try {
      await expect(reader.client.command({ query: "CREATE DATABASE nope" })).rejects.toThrow(
        /readonly|Cannot execute query in readonly mode/i,
      );
      const rs = await reader.client.query({
        query: "SELECT value AS n FROM system.settings WHERE name = 'max_result_rows'",
        format: "JSONEachRow",
      });
      expect(Number((await rs.json<{ n: string }>())[0].n)).toBe(100000);
    } finally {
      await reader.close();
    }
  });

  test("migrates, inserts, counts; stop/start keeps the data on the same ports", async () => {
    await store.migrate();
    const now = Date.now();
    await store.insertFlows(Array.from({ length: 100 }, (_, i) => testFlow({ uuid: `h-${i}`, timeMs: now + i })));
    expect(await store.countFlows()).toBe(100);

    await ch.stop();
    expect(await store.ping()).toBe(false);
    await ch.start();
    expect(await store.countFlows()).toBe(100);
  });
});
