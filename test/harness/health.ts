// grpc.health.v1.Health/Check of one service, as a test asks a daemon whether a part of it is serving.
import * as grpc from "@grpc/grpc-js";

const STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;
export type ServingStatus = (typeof STATUS)[number];

// HealthCheckRequest{service = 1} and HealthCheckResponse{status = 1}: two one-field messages.
const check: grpc.MethodDefinition<string, number> = {
  path: "/grpc.health.v1.Health/Check",
  requestStream: false,
  responseStream: false,
  requestSerialize: (s) => {
    const body = Buffer.from(s, "utf8");
    return body.length ? Buffer.concat([Buffer.from([0x0a, body.length]), body]) : Buffer.alloc(0);
  },
  requestDeserialize: (b) => b.toString("utf8", 2),
  responseSerialize: (n) => Buffer.from([0x08, n]),
  responseDeserialize: (b) => (b[0] === 0x08 ? (b[1] ?? 0) : 0),
};
const HealthClient = grpc.makeGenericClientConstructor({ Check: check }, "Health");

/** The serving status of `service` at `address` (grpc NOT_FOUND, an unknown service, is SERVICE_UNKNOWN). */
export function healthOf(address: string, service: string): Promise<ServingStatus> {
  const client = new HealthClient(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Check(req: string, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: number) => void): void;
  };
  return new Promise<ServingStatus>((resolve, reject) =>
    client.Check(service, { deadline: Date.now() + 5000 }, (e, r) => {
      client.close();
      if (e?.code === grpc.status.NOT_FOUND) resolve("SERVICE_UNKNOWN");
      else if (e) reject(e);
      else resolve(STATUS[r ?? 0] ?? "UNKNOWN");
    }),
  );
}
