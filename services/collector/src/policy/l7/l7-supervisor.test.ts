// L7Supervisor with the real kernel and the real proxy process: it pins fl_sk_lookup on the pods'
// netns, starts the proxy, receives its events; the proxy and links outlive it; a second supervisor
// (a restarted collector with a freshly loaded object) adopts them; uninstall takes everything down.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { L7HttpEvent } from "@flowlens/l7-contract";
import { l7Paths, sockKey } from "@flowlens/l7-contract";
import type { CompiledPolicy } from "@flowlens/policy";
import { type Bed, BPF_OBJECT, createBed, IDENT, SERVER_ID, waitFor } from "@flowlens/test-harness/l7-bed";
import { BpfObject, processCapabilities } from "libbpf-ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkPinPath } from "./l7-links.js";
import { runningProxy } from "./l7-process.js";
import { L7Supervisor, uninstallL7 } from "./l7-supervisor.js";

const compiled: Pick<CompiledPolicy, "l7" | "rules"> = {
  l7: [
    {
      subject: IDENT.server,
      port: 80,
      proto: 6,
      rules: [{ peers: [IDENT.client], http: [{ method: "GET", path: "/public" }], ruleId: 1 }],
    },
  ],
  rules: [
    { ruleId: 0, policies: [], description: "no rule" },
    { ruleId: 1, policies: [{ name: "app1", namespace: "default", kind: "CiliumNetworkPolicy" }], description: "GET /public from app2" },
  ],
};

let bed: Bed;
let nextPort = 42000;
function ports(n = 4): number {
  const base = nextPort;
  nextPort += n;
  bed.markL7("client", base, n);
  return base;
}

/** Id of the program a pinned link runs. */
const linkProg = (path: string): number => JSON.parse(execFileSync("bpftool", ["link", "show", "pinned", path, "-j"]).toString()).prog_id;

const events: L7HttpEvent[] = [];
let lost = 0;
const logs: string[] = [];
const options = (program: ReturnType<BpfObject["program"]>) => ({
  stateDir: bed.stateDir,
  pinPath: bed.pinDir,
  program,
  onEvent: (ev: L7HttpEvent) => events.push(ev),
  onLost: (n: number) => {
    lost += n;
  },
  log: (l: string) => logs.push(l),
  checkMs: 200,
});
function endpoints() {
  const ids: Record<string, [number, number]> = { server: [SERVER_ID, IDENT.server], client: [2, IDENT.client], other: [3, IDENT.other] };
  return bed.pods.pods.map((p) => ({
    id: ids[p.name][0],
    identity: ids[p.name][1],
    name: p.name,
    namespace: p.namespace,
    netns: p.netns,
    ips: [p.ipv4],
  }));
}

let sup: L7Supervisor;
let restarted: BpfObject | undefined;

beforeAll(async () => {
  bed = await createBed("h3ls", { attach: false, events: false });
});

afterAll(async () => {
  await sup?.close();
  if (bed) await uninstallL7({ pinPath: bed.pinDir, stateDir: bed.stateDir, log: () => {} });
  restarted?.close();
  await bed?.destroy();
});

describe("L7Supervisor", () => {
  it("pins the redirect on every endpoint's netns, starts the proxy and reports its events", async () => {
    sup = new L7Supervisor(options(bed.obj.program("fl_sk_lookup")));
    await sup.start();
    // Staged: the proxy starts and listens; the engine writes the maps once unregistered() is empty.
    sup.stage(compiled, endpoints());
    const server = endpoints().find((e) => e.id === SERVER_ID);
    expect(sup.unregistered()).toEqual([`${server?.namespace}/${server?.name}`]);
    await waitFor("the proxy's listener", () => sup.unregistered().length === 0);
    expect(bed.socks.lookup(sockKey(SERVER_ID, 4))).toBeDefined();
    sup.update(compiled, endpoints());
    expect(sup.unregistered()).toEqual([]);
    for (const id of [1, 2, 3]) expect(existsSync(linkPinPath(bed.pinDir, id))).toBe(true);
    expect(sup.config?.endpoints.map((e) => e.endpointId)).toEqual([SERVER_ID]);
    await bed.waitRegistered();
    expect(runningProxy(bed.stateDir)).toBeGreaterThan(0);
    // Started with only what it uses while serving (and it serves below with just that).
    expect([...processCapabilities(runningProxy(bed.stateDir) as number).effective].sort()).toEqual(["CAP_BPF", "CAP_SYS_ADMIN"]);
    const [pub, restricted] = await bed.client("client", {
      localPort: ports(),
      requests: [
        { method: "GET", path: "/public" },
        { method: "GET", path: "/restricted" },
      ],
    });
    expect(pub.status).toBe(200);
    expect(restricted).toMatchObject({ status: 403, reused: true });
    await waitFor("3 events", () => events.length >= 3);
    expect(events.map((e) => `${e.type} ${e.url} ${e.verdict} ${e.code}`)).toEqual([
      "REQUEST /public FORWARDED 0",
      "RESPONSE /public FORWARDED 200",
      "REQUEST /restricted DROPPED 403",
    ]);
    expect(sup.stats).toMatchObject({ events: 3, proxyStarts: 1, badLines: 0 });
  });

  it("keeps enforcing when the collector is gone; a restarted one adopts the proxy and the links", async () => {
    const pid = runningProxy(bed.stateDir);
    const oldProg = linkProg(linkPinPath(bed.pinDir, SERVER_ID));
    await sup.close();
    const [denied] = await bed.client("client", { localPort: ports(), requests: [{ method: "GET", path: "/restricted" }] });
    expect(denied.status).toBe(403);

    restarted = BpfObject.open(BPF_OBJECT);
    for (const name of ["fl_ct", "fl_ipcache", "fl_l7_socks"]) expect(restarted.reusePinnedMap(name, join(bed.pinDir, name))).toBe(true);
    restarted.load();
    const before = events.length;
    sup = new L7Supervisor(options(restarted.program("fl_sk_lookup")));
    await sup.start();
    sup.update(compiled, endpoints());
    expect(runningProxy(bed.stateDir)).toBe(pid);
    expect(sup.stats.proxyStarts).toBe(0);
    // The pinned link now runs the new object's program (switched in place, never detached).
    expect(linkProg(linkPinPath(bed.pinDir, SERVER_ID))).not.toBe(oldProg);
    // The request made while no collector listened arrives now (the test keeps its own map handles open).
    await waitFor("the buffered event", () => events.length > before);
    expect(events[before]).toMatchObject({ url: "/restricted", verdict: "DROPPED" });
    const [ok] = await bed.client("client", { localPort: ports(), requests: [{ method: "GET", path: "/public" }] });
    expect(ok.status).toBe(200);
    expect(lost).toBe(0);
  });

  it("restarts a proxy that died", async () => {
    const pid = runningProxy(bed.stateDir) as number;
    process.kill(pid, "SIGKILL");
    await waitFor("a new proxy", () => {
      const now = runningProxy(bed.stateDir);
      return now !== undefined && now !== pid ? now : undefined;
    });
    await bed.waitRegistered();
    const [ok] = await bed.client("client", { localPort: ports(), requests: [{ method: "GET", path: "/public" }] });
    expect(ok.status).toBe(200);
    expect(logs.some((l) => l.startsWith("L7 proxy started"))).toBe(true);
  });

  it("drops the links of endpoints that left", async () => {
    sup.update(
      compiled,
      endpoints().filter((e) => e.id !== 3),
    );
    expect(existsSync(linkPinPath(bed.pinDir, 3))).toBe(false);
    expect(existsSync(linkPinPath(bed.pinDir, 1))).toBe(true);
  });

  it("uninstall stops the proxy and removes links and files", async () => {
    const pid = runningProxy(bed.stateDir) as number;
    await sup.uninstall();
    await waitFor("the proxy to exit", () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    for (const id of [1, 2]) expect(existsSync(linkPinPath(bed.pinDir, id))).toBe(false);
    const paths = l7Paths(bed.stateDir);
    expect(existsSync(paths.config)).toBe(false);
    expect(existsSync(paths.pidFile)).toBe(false);
    expect(bed.socks.lookup(sockKey(SERVER_ID, 4))).toBeUndefined();
    // Without the redirect the server itself answers, even on a port marked L7.
    const [direct] = await bed.client("client", { localPort: ports(), requests: [{ method: "GET", path: "/restricted" }] });
    expect(direct.status).toBe(200);
  });
});
