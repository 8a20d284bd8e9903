// gRPC plumbing shared by every command: dial with a deadline, typed unary/stream calls, one-line errors.
import net from "node:net";
import {
  type Client,
  type ClientReadableStream,
  connectivityState,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceDefinition,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { RuntimeError, UsageError } from "./errors.js";
import type { ServerAddress } from "./server-address.js";
import type { Transport } from "./tls-options.js";

export const CONNECT_TIMEOUT_MS = 5_000;
export const CALL_TIMEOUT_MS = 15_000;

export interface Connection {
  client: Client;
  server: ServerAddress;
  close(): void;
}

export interface DialOptions {
  /** What should be listening there, for the error message ("relay or collector"). */
  expect: string;
  timeoutMs?: number;
  /** TLS or plain (default plain). */
  transport?: Transport;
}

/** Creates a client and waits until its channel is READY; fails early if the server refuses. */
export async function dial(definition: ServiceDefinition, server: ServerAddress, opts: DialOptions): Promise<Connection> {
  const Ctor = makeGenericClientConstructor(definition, "flowlens");
  const tls = opts.transport?.tls ?? false;
  const client = new Ctor(server.grpcTarget, opts.transport?.credentials ?? credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    ...opts.transport?.channelOptions,
  });
  const channel = client.getChannel();
  const deadline = Date.now() + (opts.timeoutMs ?? CONNECT_TIMEOUT_MS);
  const ready = await new Promise<boolean>((resolve) => {
    const check = () => {
      const state = channel.getConnectivityState(true);
      if (state === connectivityState.READY) return resolve(true);
      // A refused or missing socket shows up as TRANSIENT_FAILURE; no need to wait out the deadline.
      if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) return resolve(false);
      channel.watchConnectivityState(state, deadline, (err) => (err ? resolve(false) : check()));
    };
    check();
  });
  if (!ready) {
    client.close();
    const reason = await probe(server, Math.max(500, deadline - Date.now()), tls);
    const hint =
      reason === "permission denied"
        ? "only root may use this socket: run as root (e.g. sudo flowlens ...)"
        : `is the ${opts.expect} running? use --server to pick another address`;
    throw new RuntimeError(`cannot connect to ${server.display}: ${reason} — ${hint}`);
  }
  return { client, server, close: () => client.close() };
}

/** Explains a failed dial with a plain socket connect (grpc-js does not expose the cause). */
function probe(server: ServerAddress, timeoutMs: number, tls: boolean): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(server.socket);
    const done = (why: string) => {
      sock.destroy();
      resolve(why);
    };
    sock.setTimeout(timeoutMs, () => done("no answer within the connect deadline"));
    sock.once("connect", () =>
      done(
        tls
          ? "the server accepted the connection but TLS or gRPC failed (check --tls-ca-cert-files, the client certificate and --tls-server-name)"
          : "the server accepted the connection but did not speak gRPC (HTTP/2); if it serves TLS, add --tls",
      ),
    );
    sock.once("error", (err: NodeJS.ErrnoException) => done(socketErrorText(err)));
  });
}

function socketErrorText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOENT":
      return "no such socket file";
    case "EACCES":
      return "permission denied";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unknown host";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    default:
      return err.code ?? err.message;
  }
}

type UnaryMethod<Req, Res> = (
  req: Req,
  meta: Metadata,
  opts: { deadline: number },
  cb: (err: ServiceError | null, res: Res) => void,
) => void;
type StreamMethod<Req, Res> = (req: Req, opts?: object) => ClientReadableStream<Res>;

/** Calls a unary method by its proto name (e.g. "ServerStatus") with a deadline; errors become one line. */
export function unary<Req, Res>(conn: Connection, method: string, req: Req, timeoutMs = CALL_TIMEOUT_MS): Promise<Res> {
  const fn = (conn.client as unknown as Record<string, UnaryMethod<Req, Res>>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(conn.client, req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
      err ? reject(rpcError(err, conn.server, method)) : resolve(res),
    );
  });
}

/** Opens a server stream by its proto name (e.g. "GetFlows"). */
export function serverStream<Req, Res>(conn: Connection, method: string, req: Req): ClientReadableStream<Res> {
  const fn = (conn.client as unknown as Record<string, StreamMethod<Req, Res>>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return fn.call(conn.client, req);
}

/** Maps a gRPC status to a CLI error: INVALID_ARGUMENT is the user's to fix (exit 2), the rest is runtime (exit 1). */
export function rpcError(err: ServiceError, server: ServerAddress, method: string): Error {
  const details = err.details || err.message;
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new UsageError(`${server.display} rejected the request: ${details}`, { cause: err });
    case status.UNIMPLEMENTED:
      return new RuntimeError(`${server.display} does not implement ${method}: is it a Flowlens collector or relay? use --server`, {
        cause: err,
      });
    case status.UNAVAILABLE:
      return new RuntimeError(`lost connection to ${server.display}: ${details}`, { cause: err });
    case status.DEADLINE_EXCEEDED:
      return new RuntimeError(`${method} on ${server.display} timed out: the server is overloaded or stuck, try again`, { cause: err });
    case status.PERMISSION_DENIED:
    case status.UNAUTHENTICATED:
      return new RuntimeError(`${method} on ${server.display}: permission denied: ${details}`, { cause: err });
    case status.NOT_FOUND:
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
      return new RuntimeError(`${method} on ${server.display}: ${details}`, { cause: err });
    default:
      return new RuntimeError(`${method} on ${server.display} failed: ${status[err.code] ?? err.code}: ${details}`, { cause: err });
  }
}
