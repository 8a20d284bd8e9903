// grpc.health.v1.Health/Check with a hand-written codec (two tiny messages), as `hubble status` uses it.
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** HealthCheckResponse.ServingStatus */
export const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

function encodeRequest(service: string): Buffer {
  const body = Buffer.from(service, "utf8");
  if (body.length === 0) return Buffer.alloc(0);
  if (body.length > 127) throw new Error("service name too long");
  return Buffer.concat([Buffer.from([0x0a, body.length]), body]); // field 1, length-delimited
}

function decodeStatus(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++] ?? 0;
    let value = 0;
    let shift = 0;
    if ((tag & 7) !== 0) return 0; // only varints are expected here
    for (;;) {
      const b = buf[i++] ?? 0;
      value |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80) || i >= buf.length) break;
    }
    if (tag >> 3 === 1) return value;
  }
  return 0;
}

const check: MethodDefinition<string, number> = {
  path: "/grpc.health.v1.Health/Check",
  requestStream: false,
  responseStream: false,
  originalName: "check",
  requestSerialize: encodeRequest,
  requestDeserialize: (b) => b.toString("utf8", 2),
  responseSerialize: (s) => Buffer.from([0x08, s]),
  responseDeserialize: decodeStatus,
};

export const healthServiceDefinition = { Check: check } satisfies ServiceDefinition;
