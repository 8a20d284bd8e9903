// TCP sockets made inside another network namespace: the calling thread enters the netns, creates the
// socket and returns at once, so one process can listen and connect in many endpoints' namespaces.
// The fds belong to the caller (hand them to node:net, or close them with fs.closeSync).
import { isIP } from "node:net";
import { call } from "./errors.js";
import { type NativeBinding, nativeBinding } from "./native.js";
import { requireString, requireUint } from "./validate.js";

export interface NetnsListenOptions {
  /** Address to bind inside the netns; default "127.0.0.1". A socket bound to "::1" takes IPv6 only, one bound to "::" both. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  backlog?: number;
  binding?: NativeBinding;
}

const HINTS = {
  ENOENT: "no such netns file (ip netns add NAME creates /var/run/netns/NAME)",
  EINVAL: "the path is not a network namespace file",
  EPERM: "entering a network namespace needs CAP_SYS_ADMIN (run as root)",
};

/** A listening, non-blocking TCP socket inside the netns at netnsPath; returns its fd. */
export function netnsTcpListen(netnsPath: string, opts: NetnsListenOptions = {}): number {
  const where = "netnsTcpListen";
  requireString(where, "netnsPath", netnsPath);
  const host = opts.host ?? "127.0.0.1";
  if (isIP(host) === 0) throw new TypeError(`${where}: opts.host must be an IP address, got ${JSON.stringify(host)}`);
  const port = requireUint(where, "opts.port", opts.port ?? 0, 0xffff);
  const backlog = requireUint(where, "opts.backlog", opts.backlog ?? 511, 0x7fff_ffff, 1);
  const binding = opts.binding ?? nativeBinding();
  return call(`listen on [${host}]:${port} in netns ${netnsPath}`, () => binding.netnsTcpListen(netnsPath, host, port, backlog), {
    ...HINTS,
    EADDRINUSE: `port ${port} is taken in that netns`,
    EADDRNOTAVAIL: `${host} is not an address of that netns (is its loopback up? ip link set lo up)`,
  });
}

/** An unconnected, non-blocking TCP socket inside the netns (family 6 is dual-stack); returns its fd. */
export function netnsTcpSocket(netnsPath: string, family: 4 | 6, opts: { binding?: NativeBinding } = {}): number {
  requireString("netnsTcpSocket", "netnsPath", netnsPath);
  if (family !== 4 && family !== 6) throw new TypeError(`netnsTcpSocket: family must be 4 or 6, got ${String(family)}`);
  const binding = opts.binding ?? nativeBinding();
  return call(`create a TCP socket in netns ${netnsPath}`, () => binding.netnsTcpSocket(netnsPath, family === 6), HINTS);
}
