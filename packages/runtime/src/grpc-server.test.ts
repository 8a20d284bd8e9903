import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { drainedOrCancelled, readPem, tlsFilesArg } from "./index.js";

describe("gRPC server helpers", () => {
  it("a slow stream resumes on drain or on cancel, and leaves no listeners behind", async () => {
    const call = new EventEmitter();
    const drained = drainedOrCancelled(call, () => false);
    call.emit("drain");
    await drained;
    const cancelled = drainedOrCancelled(call, () => false);
    call.emit("cancelled");
    await cancelled;
    expect(call.listenerCount("drain") + call.listenerCount("cancelled")).toBe(0);
    await drainedOrCancelled(call, () => true); // already gone: resolves at once
  });

  it("names the flag of a PEM file it cannot read", () => {
    expect(() => readPem("/nonexistent/ca.pem", "--tls-ca")).toThrow("read --tls-ca /nonexistent/ca.pem: ENOENT");
  });

  it("takes TLS files all or none", () => {
    expect(tlsFilesArg("--tls")).toBeUndefined();
    expect(tlsFilesArg("--tls", "c", "k", "a")).toEqual({ cert: "c", key: "k", ca: "a" });
    expect(() => tlsFilesArg("--peer-tls", "c")).toThrow("--peer-tls-cert, --peer-tls-key and --peer-tls-ca go together");
  });
});
