import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FlowSchema, GetFlowsResponseSchema, getFlowExtension, setFlowExtension } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { testFlow } from "../testkit.js";
import { flowResponse, stripExtensions, timestampOfNs } from "./responses.js";

const withExt = () => setFlowExtension(testFlow("n1", "u1", 1_700_000_000_123), { packets: 3n, bytes: 180n, comm: "curl" });

describe("relay responses", () => {
  it("cuts Flow.extensions out of the bytes and leaves every other field as it was", () => {
    const f = withExt();
    const stripped = fromBinary(FlowSchema, stripExtensions(toBinary(FlowSchema, f)));
    expect(stripped.extensions).toBeUndefined();
    expect(stripped).toEqual({ ...f, extensions: undefined });
    const plain = toBinary(FlowSchema, testFlow("n1", "u1", 1));
    expect(stripExtensions(plain)).toBe(plain); // nothing to cut: the same bytes
  });

  it("wraps the node's bytes into a GetFlowsResponse with node name and time, with or without extensions", () => {
    const f = withExt();
    const item = { kind: "flow" as const, node: "n1", uuid: "u1", timeNs: 1_700_000_000_123 * 1e6 + 250, bytes: toBinary(FlowSchema, f) };
    const r = fromBinary(GetFlowsResponseSchema, flowResponse(item, true));
    expect(r.nodeName).toBe("n1");
    expect(r.time).toEqual(timestampOfNs(item.timeNs));
    expect(r.responseTypes.case).toBe("flow");
    expect(getFlowExtension(r.responseTypes.value as typeof f)?.comm).toBe("curl");
    const bare = fromBinary(GetFlowsResponseSchema, flowResponse(item, false));
    expect((bare.responseTypes.value as typeof f).extensions).toBeUndefined();
    expect(flowResponse(item, true)).toBe(flowResponse(item, true)); // built once
  });

  it("makes timestamps with valid nanos from float nanoseconds", () => {
    for (const ns of [1_700_000_000 * 1e9 + 999_999_999, 1_700_000_000_123 * 1e6 + 0.5, 0]) {
      const t = timestampOfNs(ns);
      expect(Number.isInteger(t.nanos) && t.nanos >= 0 && t.nanos <= 999_999_999).toBe(true);
      // Encodable (protobuf-es refuses a non-int32 nanos, which once broke resumed requests).
      expect(() => toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, { time: t }))).not.toThrow();
    }
  });
});
