// L7 HTTP enforcement, collector side (docs/policy.md "L7 HTTP"): on every policy install it writes
// the proxy's config, keeps fl_sk_lookup attached (pinned) to each endpoint's netns, makes sure the
// proxy process runs, and turns the proxy's event stream into onEvent/onLost calls. Everything it
// sets up outlives the collector; uninstall() takes it down.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type L7HttpEvent, type L7Paths, type L7ProxyConfig, l7Paths, writeL7Config } from "@flowlens/l7proxy";
import type { CompiledPolicy } from "@flowlens/policy";
import type { BpfProgram } from "libbpf-ts";
import { netnsPath } from "../endpoints/netns.js";
import { buildL7Config, type L7EndpointInput } from "./l7-config.js";
import { L7EventServer } from "./l7-events.js";
import { SkLookupLinks } from "./l7-links.js";
import { defaultProxyMain, ensureProxy, stopProxy } from "./l7-process.js";

export type { L7HttpEvent } from "@flowlens/l7proxy";
export type { L7EndpointInput } from "./l7-config.js";

export interface L7SupervisorOptions {
  stateDir: string;
  pinPath: string;
  /** fl_sk_lookup of the collector's loaded object. */
  program: BpfProgram;
  /** One checked request or its response (Cilium's L7 access log). */
  onEvent(ev: L7HttpEvent): void;
  /** Events the proxy could not keep while the collector was away. */
  onLost(count: number): void;
  log(msg: string): void;
  /** The proxy's entry script; default @flowlens/l7proxy's dist/index.js. */
  proxyMain?: string;
  /** Start the proxy when an endpoint has L7 ports, and restart it when it dies; default true. */
  manageProxy?: boolean;
  /** How often a dead proxy is noticed; default 2000 ms. */
  checkMs?: number;
}

export class L7Supervisor {
  readonly #opts: L7SupervisorOptions;
  readonly #paths: L7Paths;
  readonly #events: L7EventServer;
  readonly #links: SkLookupLinks;
  #lastConfig = "";
  #config: L7ProxyConfig | undefined;
  #spawned: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stats = { events: 0, lost: 0, proxyStarts: 0 };

  constructor(opts: L7SupervisorOptions) {
    this.#opts = opts;
    this.#paths = l7Paths(opts.stateDir);
    mkdirSync(this.#paths.dir, { recursive: true });
    this.#events = new L7EventServer({
      onEvent: (ev) => {
        this.#stats.events++;
        opts.onEvent(ev);
      },
      onLost: (n) => {
        this.#stats.lost += n;
        opts.onLost(n);
      },
      log: opts.log,
    });
    this.#links = new SkLookupLinks({
      pinPath: opts.pinPath,
      stateFile: join(this.#paths.dir, "links.json"),
      program: opts.program,
      log: opts.log,
    });
  }

  /** Events received, events the proxy reported lost, proxy (re)starts by this collector; bad lines. */
  get stats(): { events: number; lost: number; proxyStarts: number; badLines: number } {
    return { ...this.#stats, badLines: this.#events.badLines };
  }

  /** The configuration last handed to the proxy. */
  get config(): L7ProxyConfig | undefined {
    return this.#config;
  }

  /** Serves the events socket and starts watching the proxy. */
  async start(): Promise<void> {
    await this.#events.listen(this.#paths.eventsSocket);
    this.#timer = setInterval(() => this.#ensureProxy(), this.#opts.checkMs ?? 2000);
    this.#timer.unref();
  }

  /**
   * After each compilation: the proxy's config (written only when it changed), a pinned sk_lookup
   * link on every endpoint's netns (so a port that becomes L7 is redirected from its first
   * connection on), and the proxy process when some endpoint has L7 ports.
   */
  update(compiled: Pick<CompiledPolicy, "l7" | "rules">, endpoints: readonly L7EndpointInput[]): void {
    const config = buildL7Config(compiled, endpoints, { pinPath: this.#opts.pinPath, eventsSocket: this.#paths.eventsSocket });
    this.#links.sync(endpoints.map((ep) => ({ endpointId: ep.id, netns: netnsPath(ep.netns) })));
    const text = JSON.stringify(config);
    if (text !== this.#lastConfig) {
      writeL7Config(this.#paths.config, config);
      this.#lastConfig = text;
    }
    this.#config = config;
    this.#ensureProxy();
  }

  /** The collector stops: events are no longer read; the proxy, links and config stay in force. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#events.close();
  }

  /** Takes L7 enforcement down: stops the proxy, detaches the links, removes the config. */
  async uninstall(): Promise<void> {
    await this.close();
    await uninstallL7({ pinPath: this.#opts.pinPath, stateDir: this.#opts.stateDir, log: this.#opts.log });
  }

  #ensureProxy(): void {
    if (this.#opts.manageProxy === false || !this.#config?.endpoints.length) return;
    try {
      const { pid, started } = ensureProxy(this.#opts.stateDir, this.#opts.proxyMain ?? defaultProxyMain(), this.#spawned);
      if (!started) return;
      this.#spawned = pid;
      this.#stats.proxyStarts++;
      this.#opts.log(`L7 proxy started (pid ${pid}, log ${this.#paths.logFile})`);
    } catch (e) {
      this.#opts.log(`L7 proxy: ${(e as Error).message}`);
    }
  }
}

/** `flowlens-collector uninstall` step: the proxy stops, the sk_lookup links go, the files too. */
export async function uninstallL7(ctx: { pinPath: string; stateDir: string; log(msg: string): void }): Promise<void> {
  const paths = l7Paths(ctx.stateDir);
  if (await stopProxy(ctx.stateDir)) ctx.log("L7 proxy stopped");
  const links = SkLookupLinks.removeAll(ctx.pinPath, join(paths.dir, "links.json"), ctx.log);
  if (links > 0) ctx.log(`L7 redirect: ${links} sk_lookup links removed`);
  for (const f of [paths.config, paths.eventsSocket, paths.pidFile, join(paths.dir, "links.json")]) rmSync(f, { force: true });
}
