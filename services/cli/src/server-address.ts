// --server values: "host:port", "[v6]:port", "tls://host:port" (TLS, as Hubble) or "unix:/path" (also
// "unix:///path"), checked before dialing.
import type { NetConnectOpts } from "node:net";
import { UsageError } from "./errors.js";

export interface ServerAddress {
  /** As the user typed it, for messages. */
  display: string;
  /** Target string for grpc-js. */
  grpcTarget: string;
  /** Where a plain socket connects, to explain a failed dial. */
  socket: NetConnectOpts;
  /** Given as tls://host:port: connect with TLS. */
  tls?: boolean;
}

export function parseServerAddress(value: string): ServerAddress {
  const v = value.trim();
  if (v.startsWith("tls://")) return { ...parseServerAddress(v.slice("tls://".length)), display: v, tls: true };
  if (v.startsWith("unix:")) {
    const path = v.replace(/^unix:(\/\/)?/, "");
    if (!path.startsWith("/"))
      throw new UsageError(`invalid --server "${value}": a unix socket needs an absolute path, e.g. unix:/run/flowlens.sock`);
    return { display: v, grpcTarget: `unix:${path}`, socket: { path } };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/\s[\]]+)):(\d{1,5})$/.exec(v);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (!m || !host || port < 1 || port > 65535) {
    throw new UsageError(`invalid --server "${value}": use HOST:PORT (e.g. localhost:4245) or unix:/path/to.sock`);
  }
  return { display: v, grpcTarget: v, socket: { host, port } };
}
