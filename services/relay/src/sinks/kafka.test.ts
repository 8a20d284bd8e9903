import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import kafkajs, { CompressionTypes } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkaWorkerDeliveries, murmur2 } from "./kafka.js";

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (key: Buffer) => number;

describe("murmur2", () => {
  it("is kafkajs' DefaultPartitioner hash: every key lands on the same partition as with kafkajs' own", () => {
    const keys = ["", "a", "ab", "abc", "abcd", "10.0.0.1:443|10.0.0.2:51234|TCP", "[fd00::1]:53|[fd00::2]:40000|UDP"];
    for (let i = 0; i < 2000; i++) keys.push(`10.${i & 255}.${i >> 8}.7:${i * 7}|10.9.8.${i % 250}:${30000 + i}|TCP${"x".repeat(i % 9)}`);
    for (const k of keys) expect(murmur2(Buffer.from(k)), k).toBe(kafkajsMurmur2(Buffer.from(k)));
    const bytes = Buffer.from(Array.from({ length: 257 }, (_, i) => (i * 37) & 255));
    for (let n = 0; n <= bytes.length; n++) expect(murmur2(bytes.subarray(0, n))).toBe(kafkajsMurmur2(bytes.subarray(0, n)));
  });
});

describe("gzip codec", () => {
  it("is plain gzip (level 1) that any consumer reads", async () => {
    const data = Buffer.from("flow ".repeat(1000));
    const codec = kafkajs.CompressionCodecs[CompressionTypes.GZIP]();
    const packed: Buffer = await codec.compress({ buffer: data });
    expect(packed.length).toBeLessThan(data.length / 10);
    expect(gunzipSync(packed).equals(data)).toBe(true);
    expect((await codec.decompress(packed)).equals(data)).toBe(true);
  });
});

describe("Kafka worker deliveries", () => {
  it("fail a batch with the producer's error when no broker answers, and close the worker", async () => {
    const [a, b] = kafkaWorkerDeliveries({ brokers: ["127.0.0.1:1"], topic: "t", requestTimeoutMs: 500 }, 2);
    const flow = { kind: "flow" as const, node: "n", uuid: "u", timeNs: 1, bytes: new Uint8Array([1]) };
    await expect(a.deliver([flow])).rejects.toThrow(/connect to Kafka 127\.0\.0\.1:1/);
    await a.close();
    await expect(b.deliver([flow])).rejects.toThrow(/connect to Kafka/);
    await b.close();
    await expect(a.deliver([flow])).rejects.toThrow(/closed/);
  });
});
