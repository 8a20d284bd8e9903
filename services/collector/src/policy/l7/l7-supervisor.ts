// L7 HTTP enforcement, collector side (docs/policy.md "L7 HTTP"): on every policy install it writes
// the proxy's config, keeps fl_sk_lookup attached (pinned) to each endpoint's netns, makes sure the
// proxy process runs, and turns the proxy's event stream into onEvent/onLost calls. Everything it
// sets up outlives the collector; uninstall() takes it down.
//
// An install is two steps around the map write: stage() before it (the proxy learns the new ports,
// keeps the old ones, and starts listening for new L7 endpoints; the engine waits on unregistered()),
// update() after it (exactly the new ports). So no connection is ever redirected to a port or an
// endpoint the proxy does not serve yet.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { type L7HttpEvent, type L7Paths, type L7ProxyConfig, l7Paths, parseL7Config, sockKey, writeL7Config } from "@flowlens/l7-contract";
import type { CompiledPolicy } from "@flowlens/policy";
import { BpfMap, type BpfProgram } from "libbpf-ts";
import { netnsPath } from "../../endpoints/netns.js";
import { buildL7Config, type L7EndpointInput, mergeL7Configs } from "./l7-config.js";
import { L7EventServer } from "./l7-events.js";
import { SkLookupLinks } from "./l7-links.js";
import { defaultProxyMain, ensureProxy, stopProxy } from "./l7-process.js";

export type { L7HttpEvent } from "@flowlens/l7-contract";
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
  /** The configuration of the last update() (what the maps redirect to). */
  #config: L7ProxyConfig | undefined;
  /** What the config file holds (staged or updated): the proxy runs while it names an endpoint. */
  #written: L7ProxyConfig | undefined;
  /** Endpoints of the last stage() the proxy must listen for before the maps redirect to them. */
  #awaited: L7ProxyConfig["endpoints"] = [];
  #socks: BpfMap | undefined;
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
    this.#written = readConfig(this.#paths.config);
  }

  /** Events received, events the proxy reported lost, proxy (re)starts by this collector; bad lines. */
  get stats(): { events: number; lost: number; proxyStarts: number; badLines: number } {
    return { ...this.#stats, badLines: this.#events.badLines };
  }

  /** The configuration last handed to the proxy. */
  get config(): L7ProxyConfig | undefined {
    return this.#config;
  }

  /** Serves the events socket, adopts or starts the proxy when the config names L7 endpoints, and watches it. */
  async start(): Promise<void> {
    await this.#events.listen(this.#paths.eventsSocket);
    this.#ensureProxy();
    this.#timer = setInterval(() => this.#ensureProxy(), this.#opts.checkMs ?? 2000);
    this.#timer.unref();
  }

  /**
   * After each compilation: the proxy's config (written only when it changed), a pinned sk_lookup
   * link on every endpoint's netns (so a port that becomes L7 is redirected from its first
   * connection on), and the proxy process when some endpoint has L7 ports.
   */
  update(compiled: Pick<CompiledPolicy, "l7" | "rules">, endpoints: readonly L7EndpointInput[]): void {
    const config = this.#build(compiled, endpoints);
    this.#links.sync(endpoints.map((ep) => ({ endpointId: ep.id, netns: netnsPath(ep.netns) })));
    this.#write(config);
    this.#config = config;
    this.#awaited = [];
    this.#ensureProxy();
  }

  /**
   * Before the maps change: the proxy gets the new L7 ports while keeping the ones the maps still
   * redirect (the file as the last update() or an earlier collector left it), and the links and the
   * proxy process are made sure of. unregistered() then says which new L7 endpoints it does not
   * listen for yet.
   */
  stage(compiled: Pick<CompiledPolicy, "l7" | "rules">, endpoints: readonly L7EndpointInput[]): void {
    const next = this.#build(compiled, endpoints);
    this.#links.sync(endpoints.map((ep) => ({ endpointId: ep.id, netns: netnsPath(ep.netns) })));
    const prev = this.#config ?? this.#written;
    this.#write(prev ? mergeL7Configs(prev, next) : next);
    // Endpoints the maps already redirect gain nothing from waiting; a first install waits for all.
    const known = this.#config?.endpoints ?? [];
    this.#awaited = next.endpoints.filter((ep) => !known.some((k) => k.endpointId === ep.endpointId && k.netns === ep.netns));
    this.#ensureProxy();
  }

  /** "namespace/name" of the staged new L7 endpoints whose listeners are not in fl_l7_socks yet. */
  unregistered(): string[] {
    if (this.#awaited.length === 0) return [];
    const socks = this.#socksMap();
    return this.#awaited
      .filter((ep) => {
        if (!socks) return true;
        const families = new Set(ep.ips.map((ip) => (isIPv6(ip) ? 6 : 4) as 4 | 6));
        if (families.size === 0) families.add(4);
        return [...families].some((f) => socks.lookup(sockKey(ep.endpointId, f)) === undefined);
      })
      .map((ep) => ep.name);
  }

  /** The collector stops: events are no longer read; the proxy, links and config stay in force. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#socks?.close();
    this.#socks = undefined;
    await this.#events.close();
  }

  /** Takes L7 enforcement down: stops the proxy, detaches the links, removes the config. */
  async uninstall(): Promise<void> {
    await this.close();
    await uninstallL7({ pinPath: this.#opts.pinPath, stateDir: this.#opts.stateDir, log: this.#opts.log });
  }

  #build(compiled: Pick<CompiledPolicy, "l7" | "rules">, endpoints: readonly L7EndpointInput[]): L7ProxyConfig {
    return buildL7Config(compiled, endpoints, { pinPath: this.#opts.pinPath, eventsSocket: this.#paths.eventsSocket });
  }

  /** Writes the file when its content changes (the proxy reloads on every rename). */
  #write(config: L7ProxyConfig): void {
    const text = JSON.stringify(config);
    if (text !== this.#lastConfig) {
      writeL7Config(this.#paths.config, config);
      this.#lastConfig = text;
    }
    this.#written = config;
  }

  /** The pinned fl_l7_socks (the datapath pins it); undefined while it is not there. */
  #socksMap(): BpfMap | undefined {
    if (this.#socks) return this.#socks;
    const path = join(this.#opts.pinPath, "fl_l7_socks");
    if (!existsSync(path)) return undefined;
    try {
      this.#socks = BpfMap.openPinned(path);
    } catch (e) {
      this.#opts.log(`L7 proxy: open ${path}: ${(e as Error).message}`);
    }
    return this.#socks;
  }

  #ensureProxy(): void {
    if (this.#opts.manageProxy === false || !this.#written?.endpoints.length) return;
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

/** The config file an earlier collector left, if it parses. */
function readConfig(file: string): L7ProxyConfig | undefined {
  try {
    return parseL7Config(readFileSync(file, "utf8"), file);
  } catch {
    return undefined;
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
