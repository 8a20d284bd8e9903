// The proxy's configuration file, <state-dir>/l7/config.json: written (atomically) by the collector's
// L7 supervisor, read and watched by the proxy. Both sides import this module, so the format lives here.
import { renameSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { compileHttpPattern, type L7Port, type RuleInfo } from "@flowlens/policy";

export const L7_CONFIG_VERSION = 1;

/** One endpoint whose ingress has L7 ports: the proxy listens inside its netns. */
export interface L7EndpointConfig {
  /** Collector's local endpoint id (fl_ct_value.endpoint_id, the fl_l7_socks key). */
  endpointId: number;
  /** "namespace/name", for log lines. */
  name: string;
  /** Path of the endpoint's netns file (e.g. /var/run/netns/app1). */
  netns: string;
  identity: number;
  ips: string[];
  /** L7 ports of this endpoint's identity (CompiledPolicy.l7 entries with subject === identity). */
  ports: L7Port[];
}

export interface L7ProxyConfig {
  version: typeof L7_CONFIG_VERSION;
  /** bpffs pins the proxy uses: the sockhash it registers its listeners in, and the IP -> identity trie. */
  maps: { l7Socks: string; ipcache: string };
  /** Unix stream socket the collector reads request events from (NDJSON). */
  eventsSocket: string;
  endpoints: L7EndpointConfig[];
  /** Rule names for the ruleIds the ports use (for log lines and events' policy names). */
  rules: RuleInfo[];
}

/** Files under <state-dir>/l7/. */
export interface L7Paths {
  dir: string;
  config: string;
  eventsSocket: string;
  pidFile: string;
  logFile: string;
}

export function l7Paths(stateDir: string): L7Paths {
  const dir = join(stateDir, "l7");
  return {
    dir,
    config: join(dir, "config.json"),
    eventsSocket: join(dir, "events.sock"),
    pidFile: join(dir, "proxy.pid"),
    logFile: join(dir, "proxy.log"),
  };
}

export class L7ConfigError extends Error {}

/** Writes the file so a reader sees the old or the new content, never half of it. */
export function writeL7Config(file: string, config: L7ProxyConfig): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 1)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Parses and checks the whole file; throws one L7ConfigError line naming the first problem. */
export function parseL7Config(text: string, file: string): L7ProxyConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new L7ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const c = new Checker(file);
  const root = c.object(doc, "");
  if (root.version !== L7_CONFIG_VERSION)
    throw new L7ConfigError(
      `${file}: version ${JSON.stringify(root.version)} is not ${L7_CONFIG_VERSION}; the collector and proxy differ in version`,
    );
  const maps = c.object(root.maps, "maps");
  return {
    version: L7_CONFIG_VERSION,
    maps: { l7Socks: c.path(maps.l7Socks, "maps.l7Socks"), ipcache: c.path(maps.ipcache, "maps.ipcache") },
    eventsSocket: c.path(root.eventsSocket, "eventsSocket"),
    endpoints: c.array(root.endpoints, "endpoints").map((e, i) => endpoint(c, e, `endpoints[${i}]`)),
    rules: c.array(root.rules, "rules").map((r, i) => ruleInfo(c, r, `rules[${i}]`)),
  };
}

function endpoint(c: Checker, raw: unknown, at: string): L7EndpointConfig {
  const e = c.object(raw, at);
  return {
    endpointId: c.uint(e.endpointId, `${at}.endpointId`, 0x7fff_ffff),
    name: c.string(e.name, `${at}.name`),
    netns: c.path(e.netns, `${at}.netns`),
    identity: c.uint(e.identity, `${at}.identity`),
    ips: c.array(e.ips, `${at}.ips`).map((ip, i) => {
      if (typeof ip !== "string" || isIP(ip) === 0) c.fail(`${at}.ips[${i}]`, "must be an IP address");
      return ip as string;
    }),
    ports: c.array(e.ports, `${at}.ports`).map((p, i) => l7Port(c, p, `${at}.ports[${i}]`)),
  };
}

function l7Port(c: Checker, raw: unknown, at: string): L7Port {
  const p = c.object(raw, at);
  const audit = p.audit === undefined ? undefined : c.bool(p.audit, `${at}.audit`);
  return {
    ...(audit === undefined ? {} : { audit }),
    subject: c.uint(p.subject, `${at}.subject`),
    port: c.uint(p.port, `${at}.port`, 0xffff),
    proto: c.uint(p.proto, `${at}.proto`, 255),
    rules: c.array(p.rules, `${at}.rules`).map((r, i) => {
      const ra = `${at}.rules[${i}]`;
      const rule = c.object(r, ra);
      const peers =
        rule.peers === "any" ? ("any" as const) : c.array(rule.peers, `${ra}.peers`).map((n, j) => c.uint(n, `${ra}.peers[${j}]`));
      const http = c.array(rule.http, `${ra}.http`).map((h, j) => {
        const ha = `${ra}.http[${j}]`;
        const o = c.object(h, ha);
        const out: { method?: string; path?: string } = {};
        for (const k of ["method", "path"] as const) {
          if (o[k] === undefined) continue;
          const pattern = c.string(o[k], `${ha}.${k}`);
          const re = compileHttpPattern(pattern);
          if (typeof re === "string") c.fail(`${ha}.${k}`, re);
          out[k] = pattern;
        }
        return out;
      });
      return { peers, http, ruleId: c.uint(rule.ruleId, `${ra}.ruleId`) };
    }),
  };
}

function ruleInfo(c: Checker, raw: unknown, at: string): RuleInfo {
  const r = c.object(raw, at);
  return {
    ruleId: c.uint(r.ruleId, `${at}.ruleId`),
    description: c.string(r.description, `${at}.description`, true),
    policies: c.array(r.policies, `${at}.policies`).map((p, i) => {
      const o = c.object(p, `${at}.policies[${i}]`);
      const kind = o.kind;
      if (kind !== "CiliumNetworkPolicy" && kind !== "CiliumClusterwideNetworkPolicy")
        c.fail(`${at}.policies[${i}].kind`, "must be CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy");
      return {
        name: c.string(o.name, `${at}.policies[${i}].name`),
        namespace: c.string(o.namespace, `${at}.policies[${i}].namespace`, true),
        kind: kind as "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy",
      };
    }),
  };
}

class Checker {
  constructor(readonly file: string) {}

  fail(at: string, why: string): never {
    throw new L7ConfigError(`${this.file}: ${at || "the document"} ${why}`);
  }

  object(v: unknown, at: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(at, "must be an object");
    return v as Record<string, unknown>;
  }

  array(v: unknown, at: string): unknown[] {
    if (!Array.isArray(v)) this.fail(at, "must be a list");
    return v;
  }

  string(v: unknown, at: string, emptyOk = false): string {
    if (typeof v !== "string" || (!emptyOk && v === "")) this.fail(at, "must be a non-empty string");
    return v as string;
  }

  path(v: unknown, at: string): string {
    const s = this.string(v, at);
    if (!s.startsWith("/")) this.fail(at, `must be an absolute path, got "${s}"`);
    return s;
  }

  uint(v: unknown, at: string, max = 0xffff_ffff): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) this.fail(at, `must be an integer 0..${max}`);
    return v as number;
  }

  bool(v: unknown, at: string): boolean {
    if (typeof v !== "boolean") this.fail(at, "must be true or false");
    return v as boolean;
  }
}
