import { parseBytes } from "@flowlens/runtime";
import { describe, expect, it } from "vitest";
import { parseRelayArgs } from "./config.js";

describe("parseRelayArgs", () => {
  it("has Hubble's defaults", () => {
    const c = parseRelayArgs(["--peers", "127.0.0.1:4244"]);
    expect(c).toMatchObject({
      peers: ["127.0.0.1:4244"],
      listenAddress: "127.0.0.1:4245",
      metricsAddress: "127.0.0.1:9966",
      sortBufferSize: 100,
      sortBufferDrainTimeoutMs: 1000,
      kafkaTopic: "flowlens.flows",
      kafkaBrokers: [],
    });
    expect(c.tls).toBeUndefined();
  });

  it("takes peers as a list, repeated or both, without duplicates", () => {
    expect(parseRelayArgs(["--peers", "a:1,b:2", "--peers", "c:3,a:1"]).peers).toEqual(["a:1", "b:2", "c:3"]);
  });

  it("accepts unix listen addresses", () => {
    expect(parseRelayArgs(["--peers", "a:1", "--listen-address", "/run/r.sock"]).listenAddress).toBe("unix:/run/r.sock");
    expect(parseRelayArgs(["--peers", "a:1", "--listen-address", ":4245"]).listenAddress).toBe("0.0.0.0:4245");
  });

  it("refuses what cannot work, in one line", () => {
    expect(() => parseRelayArgs([])).toThrow(/--peers is required/);
    expect(() => parseRelayArgs(["--peers", "nope"])).toThrow(/host:port/);
    expect(() => parseRelayArgs(["--peers", "a:1", "--tls-cert", "c.pem"])).toThrow(/give all three or none/);
    expect(() => parseRelayArgs(["--peers", "a:1", "--kafka-brokers", "k:9092", "--clickhouse-url", "http://c:8123"])).toThrow(/exclude/);
    expect(() => parseRelayArgs(["--peers", "a:1", "--clickhouse-url", "c:8123"])).toThrow(/http/);
  });

  it("reads buffer bounds and TLS triples", () => {
    const c = parseRelayArgs([
      "--peers",
      "a:1",
      "--kafka-brokers",
      "k1:9092, k2:9092",
      "--buffer-flows",
      "10",
      "--buffer-bytes",
      "64MiB",
      "--peer-tls-cert",
      "c",
      "--peer-tls-key",
      "k",
      "--peer-tls-ca",
      "ca",
    ]);
    expect(c.kafkaBrokers).toEqual(["k1:9092", "k2:9092"]);
    expect(c.bufferFlows).toBe(10);
    expect(c.bufferBytes).toBe(64 * 1024 * 1024);
    expect(c.peerTls).toEqual({ cert: "c", key: "k", ca: "ca" });
  });

  it("parses sizes", () => {
    expect(parseBytes("1000")).toBe(1000);
    expect(parseBytes("4k")).toBe(4096);
    expect(parseBytes("1GB")).toBe(1024 ** 3);
    expect(() => parseBytes("lots")).toThrow(/not a size/);
  });
});
