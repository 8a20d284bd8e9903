import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FlowSchema } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { testFlow } from "../testkit.js";
import { checkWire } from "./wire-check.js";

/** A flow with nested messages, lists, enums, strings and 64-bit fields. */
function richFlow(): Uint8Array {
  const f = testFlow("node-a", "0f0e0d0c-0b0a-0908-0706-050403020100", Date.now());
  f.verdict = 2;
  f.dropReasonDesc = 133;
  f.l7 = create(FlowSchema.field.l7.message, {
    type: 1,
    latencyNs: 123456789n,
    record: { case: "http", value: { code: 403, method: "GET", url: "http://10.0.0.1/restricted", headers: [{ key: "a", value: "b" }] } },
  });
  f.source = { ...f.source, labels: ["k8s:app=a", "k8s:io.kubernetes.pod.namespace=default"], identity: 12345 } as typeof f.source;
  return toBinary(FlowSchema, f);
}

/** A small deterministic generator: the same cases on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

describe("checkWire", () => {
  it("accepts what toBinary writes", () => {
    expect(() => checkWire(FlowSchema, richFlow())).not.toThrow();
  });

  it("names the field of a nested message that does not decode", () => {
    const bad = new Uint8Array([...richFlow(), 0x2a, 0x03, 0x0a, 0x7f, 0x01]); // IP (5): a string claiming 127 bytes
    expect(() => checkWire(FlowSchema, bad)).toThrow(/^IP.source: premature EOF$/);
    expect(() => fromBinary(FlowSchema, bad)).toThrow();
    // A known field sent with another wire type: time (1) as a varint.
    expect(() => checkWire(FlowSchema, new Uint8Array([0x08, 0x01]))).toThrow(/Flow.time: wire type 0, expected 2/);
  });

  it("whatever it accepts, fromBinary decodes (10,000 truncated and mutated flows)", () => {
    const good = richFlow();
    const rand = rng(8);
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const b = Uint8Array.from(good);
      const n = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < n; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? b.slice(0, Math.floor(rand() * b.length)) : b;
      let ok = true;
      try {
        checkWire(FlowSchema, cut);
      } catch {
        ok = false;
      }
      if (!ok) continue;
      accepted++;
      expect(() => fromBinary(FlowSchema, cut), `case ${i}`).not.toThrow();
    }
    // Both outcomes happen: the check is neither all-accepting nor all-refusing.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(10_000);
  });
});
