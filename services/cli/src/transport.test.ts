import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { EXIT_RUNTIME, EXIT_USAGE, exitCodeOf, RuntimeError, UsageError } from "./errors.js";
import { parseServerAddress } from "./server-address.js";
import { rpcError } from "./transport.js";

const server = parseServerAddress("localhost:4245");
const failed = (code: status, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });

describe("rpcError", () => {
  it("keeps the gRPC error as its cause, so callers decide by status code, not by message text", () => {
    const unimplemented = failed(status.UNIMPLEMENTED, "unknown service grpc.health.v1.Health");
    const e = rpcError(unimplemented, server, "Check");
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e.cause).toBe(unimplemented);
  });

  it("maps INVALID_ARGUMENT to a usage error (exit 2) and other statuses to runtime errors (exit 1)", () => {
    const rejected = rpcError(failed(status.INVALID_ARGUMENT, "bad filter"), server, "GetFlows");
    expect(rejected).toBeInstanceOf(UsageError);
    expect(exitCodeOf(rejected)).toBe(EXIT_USAGE);
    for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.PERMISSION_DENIED, status.NOT_FOUND, status.INTERNAL])
      expect(exitCodeOf(rpcError(failed(code, "x"), server, "GetFlows")), status[code]).toBe(EXIT_RUNTIME);
  });
});
