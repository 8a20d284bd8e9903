// Request events to the collector over its unix socket, as NDJSON. While the collector is away (or
// not reading) events wait in a bounded buffer; what does not fit is counted and reported as one
// {"kind":"lost","count":n} line once the collector reads again. Sending never blocks a request.
import { connect, type Socket } from "node:net";
import type { L7HttpEvent, L7LostNotice } from "@flowlens/l7-contract";
import type { Log } from "@flowlens/runtime";

export interface EventSinkOptions {
  log: Log;
  /** Events kept while the collector is not reading; default 10,000. */
  capacity?: number;
  /** Delay between connection attempts; default 500 ms. */
  retryMs?: number;
}

export class EventSink {
  readonly #log: Log;
  readonly #capacity: number;
  readonly #retryMs: number;
  #path: string | undefined;
  #socket: Socket | undefined;
  #connected = false;
  #pending: string[] = [];
  #lost = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: EventSinkOptions) {
    this.#log = opts.log;
    this.#capacity = opts.capacity ?? 10_000;
    this.#retryMs = opts.retryMs ?? 500;
  }

  /** Events dropped and not yet reported. */
  get lost(): number {
    return this.#lost;
  }

  get buffered(): number {
    return this.#pending.length;
  }

  /** Points the sink at the collector's socket (reconnects when the path changes). */
  target(path: string): void {
    if (path === this.#path || this.#closed) return;
    this.#path = path;
    this.#drop();
    this.#connect();
  }

  send(ev: L7HttpEvent): void {
    const line = `${JSON.stringify(ev)}\n`;
    if (this.#connected && this.#pending.length === 0 && this.#socket && !this.#socket.writableNeedDrain) {
      this.#socket.write(line);
      return;
    }
    if (this.#pending.length >= this.#capacity) {
      this.#lost++;
      return;
    }
    this.#pending.push(line);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #connect(): void {
    clearTimeout(this.#timer);
    const path = this.#path;
    if (!path || this.#closed) return;
    const socket = connect(path);
    this.#socket = socket;
    socket.on("connect", () => {
      this.#connected = true;
      this.#log.clear("events");
      this.#log(`events: connected to the collector at ${path}`);
      this.#flush();
    });
    socket.on("drain", () => this.#flush());
    socket.on("data", () => {}); // the collector sends nothing; keep the stream flowing
    socket.on("error", (e: NodeJS.ErrnoException) => {
      this.#log.once(
        "events",
        `events: collector socket ${path}: ${e.code ?? e.message}; buffering up to ${this.#capacity} events, retrying`,
      );
    });
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      if (this.#connected) this.#log(`events: the collector closed ${path}; buffering, retrying`);
      this.#connected = false;
      this.#socket = undefined;
      if (!this.#closed) this.#timer = setTimeout(() => this.#connect(), this.#retryMs);
    });
  }

  #drop(): void {
    const s = this.#socket;
    this.#socket = undefined;
    this.#connected = false;
    s?.destroy();
  }

  #flush(): void {
    const s = this.#socket;
    if (!s || !this.#connected) return;
    if (this.#lost > 0) {
      const notice: L7LostNotice = { kind: "lost", count: this.#lost };
      this.#lost = 0;
      s.write(`${JSON.stringify(notice)}\n`);
    }
    while (this.#pending.length > 0 && !s.writableNeedDrain) {
      // Batches keep syscalls few when thousands wait.
      const batch = this.#pending.splice(0, 256);
      s.write(batch.join(""));
    }
  }
}
