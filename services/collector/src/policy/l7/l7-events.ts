// The collector's end of the proxy's event stream: a unix socket at <state-dir>/l7/events.sock, one
// JSON object per line. Request events go to onEvent, loss notices to onLost; a bad line is counted
// and logged once, and never closes the stream.
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { type L7HttpEvent, parseL7Message } from "@flowlens/l7-contract";

export interface L7EventHandlers {
  onEvent(ev: L7HttpEvent): void;
  /** Events the proxy dropped while nobody read them. */
  onLost(count: number): void;
  log(msg: string): void;
}

/** Longest line accepted; a proxy event is a few hundred bytes, a URL can be long. */
const MAX_LINE = 64 * 1024;

export class L7EventServer {
  readonly #handlers: L7EventHandlers;
  readonly #server: Server;
  readonly #conns = new Set<Socket>();
  #badLines = 0;

  constructor(handlers: L7EventHandlers) {
    this.#handlers = handlers;
    this.#server = createServer((s) => this.#serve(s));
    this.#server.on("error", (e) => handlers.log(`L7 events: ${e.message}`));
  }

  /** Lines that were not valid events (each one logged only the first time). */
  get badLines(): number {
    return this.#badLines;
  }

  /** Listens at path (a stale socket file of an earlier run is replaced). */
  listen(path: string): Promise<void> {
    rmSync(path, { force: true });
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(path, () => {
        this.#server.off("error", reject);
        chmodSync(path, 0o600);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.#conns) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(s: Socket): void {
    this.#conns.add(s);
    s.on("close", () => this.#conns.delete(s));
    s.on("error", () => {}); // the proxy going away is normal
    let buf = "";
    s.setEncoding("utf8");
    s.on("data", (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        this.#line(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
      if (buf.length > MAX_LINE) {
        this.#bad(`a line longer than ${MAX_LINE} bytes`);
        buf = "";
      }
    });
  }

  #line(line: string): void {
    if (line === "") return;
    const m = parseL7Message(line);
    if (typeof m === "string") {
      this.#bad(m);
      return;
    }
    try {
      if ("kind" in m) this.#handlers.onLost(m.count);
      else this.#handlers.onEvent(m);
    } catch (e) {
      this.#handlers.log(`L7 events: handler failed: ${(e as Error).message}`);
    }
  }

  #bad(why: string): void {
    if (this.#badLines++ === 0) this.#handlers.log(`L7 events: ignoring a bad line from the proxy (${why}); further ones are only counted`);
  }
}
