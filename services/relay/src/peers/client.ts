// grpc-js client of a node's Observer API that hands GetFlows responses over as the bytes received,
// so the relay forwards flows without decoding them.
import { observerServiceDefinition } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";

const rawFlowsDefinition = {
  ...observerServiceDefinition,
  GetFlows: { ...observerServiceDefinition.GetFlows, responseDeserialize: (b: Buffer) => b },
};

const RawObserverClient = grpc.makeGenericClientConstructor(rawFlowsDefinition, "Observer");

export type ObserverClient = grpc.Client & {
  GetFlows(req: unknown, opts?: grpc.CallOptions): grpc.ClientReadableStream<Buffer>;
  GetNodes(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, r: unknown) => void): void;
  ServerStatus(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, r: unknown) => void): void;
  GetNamespaces(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, r: unknown) => void): void;
};

const FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

export interface PeerTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Name the node's certificate must carry when it differs from the dialled host. */
  serverName?: string;
}

export function observerClient(address: string, tls?: PeerTls): ObserverClient {
  const creds = tls ? grpc.credentials.createSsl(tls.ca, tls.key, tls.cert) : grpc.credentials.createInsecure();
  const options: grpc.ChannelOptions = {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    // The relay owns reconnection (its own backoff and resume): keep grpc-js from adding its own wait.
    "grpc.initial_reconnect_backoff_ms": 500,
    "grpc.max_reconnect_backoff_ms": 5000,
    // HTTP/2 receive window (stream and connection): with Node's default 64 KiB, less than one flow
    // batch, the node may send only one window per round trip of WINDOW_UPDATEs, so on a busy machine
    // every late turn of either event loop stalls the stream and the node's ring laps it.
    "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW,
  };
  if (tls?.serverName) options["grpc.ssl_target_name_override"] = tls.serverName;
  return new RawObserverClient(address, creds, options) as unknown as ObserverClient;
}

/** A unary call as a promise with a deadline. */
export function unary<T>(
  client: ObserverClient,
  method: "GetNodes" | "ServerStatus" | "GetNamespaces",
  req: unknown,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](req, { deadline: Date.now() + timeoutMs }, (err, r) => (err ? reject(err) : resolve(r as T))),
  );
}
