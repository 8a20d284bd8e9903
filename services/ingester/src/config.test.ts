// Flag parsing of flowlens-ingester: defaults, units, commands and one-line refusals.
import { describe, expect, it } from "vitest";
import { parseIngesterArgs } from "./config.js";

describe("parseIngesterArgs", () => {
  it("has the documented defaults", () => {
    const c = parseIngesterArgs([]);
    expect(c).toMatchObject({
      command: "run",
      kafkaBrokers: ["127.0.0.1:9092"],
      topic: "flowlens.flows",
      dlqTopic: "flowlens.flows.dlq",
      groupId: "flowlens-ingester",
      clickhouseUrl: "http://127.0.0.1:8123",
      clickhouseDatabase: "flowlens",
      metricsAddress: "127.0.0.1:9967",
      batchRows: 50_000,
      batchMaxWaitMs: 1000,
      retentionDays: 7,
      rollupRetentionDays: { flows_minute: 30, flows_5m: 90, flows_1h: 400 },
      retentionIntervalMs: 3_600_000,
    });
  });

  it("reads commands, lists and durations", () => {
    const c = parseIngesterArgs([
      "migrate",
      "--kafka-brokers",
      "a:1, b:2",
      "--batch-max-wait",
      "250ms",
      "--retention-interval",
      "2m",
      "--retention-days",
      "0",
    ]);
    expect(c.command).toBe("migrate");
    expect(c.kafkaBrokers).toEqual(["a:1", "b:2"]);
    expect(c.batchMaxWaitMs).toBe(250);
    expect(c.retentionIntervalMs).toBe(120_000);
    expect(c.retentionDays).toBe(0);
  });

  it.each([
    [["--batch-rows", "0"]],
    [["--batch-rows", "x"]],
    [["--kafka-brokers", "nohost"]],
    [["--clickhouse-url", "ftp://x"]],
    [["--batch-max-wait", "soon"]],
    [["--topic", "bad topic"]],
    [["--metrics-address", "9967"]],
    [["--no-such-flag"]],
    [["frobnicate"]],
  ])("refuses %j", (argv) => {
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => writes.push(s) > 0) as typeof process.stderr.write;
    try {
      expect(() => parseIngesterArgs(argv)).toThrow();
    } finally {
      process.stderr.write = orig;
    }
  });
});
