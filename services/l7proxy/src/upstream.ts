// Connections to the original destination, made from inside the endpoint's netns: the proxy's own
// connections never cross the veth, so they are not in fl_ct and sk_lookup leaves them alone.
// One agent (one keep-alive upstream connection) per downstream connection keeps requests in order.
import { Agent, type ClientRequestArgs } from "node:http";
import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { netnsTcpSocket } from "libbpf-ts";

export const CONNECT_TIMEOUT_MS = 5000;

export class UpstreamAgent extends Agent {
  constructor(
    private readonly netns: string,
    private readonly family: 4 | 6,
  ) {
    super({ keepAlive: true, maxSockets: 1 });
  }

  override createConnection(options: ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    let fd: number;
    try {
      fd = netnsTcpSocket(this.netns, this.family);
    } catch (e) {
      // The agent fails the request with this error (the handler answers 503).
      cb?.(e as Error, undefined as unknown as Duplex);
      return undefined;
    }
    // An fd-backed socket connects in the netns the fd was made in; connect() must follow in the same tick.
    const socket = new Socket({ fd });
    const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    socket.once("connect", () => clearTimeout(timer));
    socket.once("close", () => clearTimeout(timer));
    socket.connect({ host: options.host ?? undefined, port: Number(options.port) });
    return socket;
  }
}
