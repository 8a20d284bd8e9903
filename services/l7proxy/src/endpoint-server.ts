// One L7 endpoint: listening sockets made inside its netns (127.0.0.1 for IPv4, ::1 for IPv6 — only
// sk_lookup hands them connections), the HTTP servers over them, and their fl_l7_socks entries.
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { type L7EndpointConfig, sockKey } from "@flowlens/l7-contract";
import { type Log, reason } from "@flowlens/runtime";
import type { BpfMap } from "libbpf-ts";
import { netnsTcpListen } from "libbpf-ts";
import { type HandlerDeps, serveEndpoint } from "./http-handler.js";

interface Listener {
  family: 4 | 6;
  fd: number;
  server: Server;
  sockets: Set<Socket>;
}

export class EndpointServer {
  #config: L7EndpointConfig;
  readonly #listeners: Listener[] = [];
  readonly #log: Log;

  constructor(config: L7EndpointConfig, deps: Omit<HandlerDeps, "endpoint">) {
    this.#config = config;
    this.#log = deps.log;
    for (const family of [4, 6] as const) {
      const host = family === 4 ? "127.0.0.1" : "::1";
      let fd: number;
      try {
        fd = netnsTcpListen(config.netns, { host });
      } catch (e) {
        // No IPv6 in the pod is fine: its IPv6 L7 connections then fail closed (reset).
        this.#log.once(`listen:${config.endpointId}:${family}`, `${config.name}: ${reason(e)}`);
        continue;
      }
      const server = createServer({ keepAlive: true, requestTimeout: 300_000, headersTimeout: 60_000 });
      server.keepAliveTimeout = 60_000;
      const sockets = new Set<Socket>();
      server.on("connection", (s: Socket) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
      });
      server.on("error", (e) => this.#log(`${config.name}: listener (IPv${family}): ${reason(e)}`));
      serveEndpoint(server, { ...deps, endpoint: () => this.#config });
      server.listen({ fd });
      this.#listeners.push({ family, fd, server, sockets });
    }
    if (this.#listeners.length === 0) throw new Error(`${config.name}: no listener could be made in netns ${config.netns}`);
  }

  get config(): L7EndpointConfig {
    return this.#config;
  }

  /** New rules apply to the next request, on open connections too. */
  set config(c: L7EndpointConfig) {
    this.#config = c;
  }

  /** Writes every listener into fl_l7_socks (idempotent). */
  register(socks: BpfMap): void {
    for (const l of this.#listeners) {
      const value = Buffer.alloc(8);
      value.writeBigUInt64LE(BigInt(l.fd));
      try {
        socks.update(sockKey(this.#config.endpointId, l.family), value);
      } catch (e) {
        this.#log.once(
          `register:${this.#config.endpointId}:${l.family}`,
          `${this.#config.name}: register IPv${l.family} listener: ${reason(e)}`,
        );
      }
    }
  }

  /** True when every listener's entry is in the map. */
  registered(socks: BpfMap): boolean {
    return this.#listeners.every((l) => socks.lookup(sockKey(this.#config.endpointId, l.family)) !== undefined);
  }

  /** Stops listening (the kernel drops the map entries with the sockets); open connections go on unless `abort`. */
  close(abort = false): void {
    for (const l of this.#listeners) {
      l.server.close();
      if (abort) for (const s of l.sockets) s.destroy();
    }
    this.#listeners.length = 0;
  }
}
