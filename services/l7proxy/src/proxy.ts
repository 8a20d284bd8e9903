// The proxy: follows the config file, keeps one EndpointServer per L7 endpoint registered in the
// pinned fl_l7_socks, and sends request events to the collector. Nothing here needs the collector
// running: the maps are pinned, the config is a file, events wait in a bounded buffer.

import type { L7EndpointConfig, L7ProxyConfig } from "@flowlens/l7-contract";
import { l7Paths } from "@flowlens/l7-contract";
import { ReservedIdentity } from "@flowlens/policy";
import { type Log, reason } from "@flowlens/runtime";
import { ConfigWatch } from "./config-watch.js";
import { EndpointServer } from "./endpoint-server.js";
import { EventSink } from "./event-sink.js";
import { identityOf } from "./identity.js";
import { PinnedMap } from "./pinned-map.js";

export interface ProxyOptions {
  stateDir: string;
  log: Log;
  /** How often registrations, pins and failed endpoints are re-checked; default 1000 ms. */
  checkMs?: number;
  /** Event buffer while the collector is away; default 10,000. */
  eventCapacity?: number;
}

export interface L7Proxy {
  start(): void;
  /** Endpoint ids currently served. */
  serving(): number[];
  /** Stops listening (new L7 connections then fail closed) and drops open connections. */
  close(): void;
}

export function createL7Proxy(opts: ProxyOptions): L7Proxy {
  const { log } = opts;
  const sink = new EventSink({ log, capacity: opts.eventCapacity });
  const servers = new Map<number, EndpointServer>();
  let config: L7ProxyConfig | undefined;
  let socks: PinnedMap | undefined;
  let ipcache: PinnedMap | undefined;
  let timer: NodeJS.Timeout | undefined;

  const deps = {
    log,
    emit: (ev: Parameters<EventSink["send"]>[0]) => sink.send(ev),
    identityOf: (ip: string) =>
      ipcache
        ? identityOf(ipcache, ip, (why) => log.once("ipcache", `identity of ${ip}: ${why}; treating clients as world`))
        : ReservedIdentity.WORLD,
  };

  const sameSocket = (a: L7EndpointConfig, b: L7EndpointConfig) => a.netns === b.netns;

  function apply(next: L7ProxyConfig): void {
    config = next;
    if (socks?.path !== next.maps.l7Socks) {
      socks?.close();
      socks = new PinnedMap(next.maps.l7Socks, log);
    }
    if (ipcache?.path !== next.maps.ipcache) {
      ipcache?.close();
      ipcache = new PinnedMap(next.maps.ipcache, log);
    }
    sink.target(next.eventsSocket);
    const wanted = new Map(next.endpoints.map((e) => [e.endpointId, e]));
    for (const [id, server] of servers) {
      const want = wanted.get(id);
      if (want && sameSocket(server.config, want)) continue;
      server.close();
      servers.delete(id);
      if (!want) log(`${server.config.name}: no longer an L7 endpoint; stopped listening`);
    }
    for (const ep of next.endpoints) {
      const existing = servers.get(ep.endpointId);
      if (existing) existing.config = ep;
    }
    reconcile(true);
  }

  /** Starts missing endpoints and (re-)registers listeners; `all` re-registers every one. */
  function reconcile(all: boolean): void {
    if (!config || !socks) return;
    const replaced = socks.refresh();
    const map = socks.get();
    for (const ep of config.endpoints) {
      let server = servers.get(ep.endpointId);
      if (!server) {
        try {
          server = new EndpointServer(ep, deps);
        } catch (e) {
          log.once(`start:${ep.endpointId}`, `${reason(e)}; retrying`);
          continue;
        }
        log.clear(`start:${ep.endpointId}`);
        servers.set(ep.endpointId, server);
        log(`${ep.name}: serving L7 ports ${ep.ports.map((p) => p.port).join(", ") || "(none)"} in ${ep.netns}`);
        all = true;
      }
      if (!map) continue;
      try {
        if (all || replaced || !server.registered(map)) server.register(map);
      } catch (e) {
        log.once(`check:${ep.endpointId}`, `${ep.name}: check registration: ${reason(e)}`);
      }
    }
    ipcache?.refresh();
  }

  const watch = new ConfigWatch(l7Paths(opts.stateDir).config, log, (c) => {
    try {
      apply(c);
    } catch (e) {
      log(`apply configuration: ${reason(e)}`);
    }
  });

  return {
    start() {
      watch.start();
      timer = setInterval(() => {
        try {
          reconcile(false);
        } catch (e) {
          log.once("reconcile", `periodic check: ${reason(e)}`);
        }
      }, opts.checkMs ?? 1000);
    },
    serving: () => [...servers.keys()].sort((a, b) => a - b),
    close() {
      clearInterval(timer);
      watch.close();
      for (const s of servers.values()) s.close(true);
      servers.clear();
      sink.close();
      socks?.close();
      ipcache?.close();
    },
  };
}
