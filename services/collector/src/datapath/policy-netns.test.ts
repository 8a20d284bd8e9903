// Policy on real traffic: pods in network namespaces on a bridge, the real Datapath with pinned maps,
// entries written by PolicyMaps. A denied pod's TCP connect fails, an allowed one works; a process
// in an endpoint's cgroup gets EPERM from connect() and sendmsg(); enforcement survives the
// collector closing, a new one adopts it, and uninstall removes it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveRing } from "../flows/ring.js";
import { PolicyMaps } from "../policy/maps/maps.js";
import { Datapath, defaultDatapathOptions } from "./datapath.js";
import { RecordDecoder, type RingEntry } from "./decoder.js";
import { Off, PolicyHook, PolicyVerdict, RecordKind } from "./layout.js";
import { uninstall } from "./uninstall.js";

const BPF_OBJECT = new URL("../../../../bpf/.output/flowlens.bpf.o", import.meta.url).pathname;
const tag = String(process.pid % 10000);
const net = `10.231.${process.pid % 200}`;
const pinPath = `/sys/fs/bpf/h2p-${tag}`;
const cgRoot = `/sys/fs/cgroup/unified/h2p-${tag}`;
const cgPod = `${cgRoot}/pod`;
const cgWorker = `${cgPod}/worker`; // processes may sit below the declared cgroup
const bridge = `h2p${tag}br`;

interface Pod {
  name: string;
  ns: string;
  hostIf: string;
  ip: string;
  identity: number;
  id: number;
  ifindex: number;
}
const pods: Pod[] = [
  { name: "s", ip: `${net}.2`, identity: 70101, id: 1 },
  { name: "a", ip: `${net}.3`, identity: 70102, id: 2 },
  { name: "b", ip: `${net}.4`, identity: 70103, id: 3 },
].map((p) => ({ ...p, ns: `h2p${tag}-${p.name}`, hostIf: `h2p${tag}${p.name}`, ifindex: 0 }));
const [S, A, B] = pods;

function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function trySh(cmd: string, ...args: string[]): void {
  try {
    sh(cmd, ...args);
  } catch {
    // already gone
  }
}

/** Policy records as the kernel wrote them, captured beside the real decoding. */
class CapturingDecoder extends RecordDecoder {
  readonly policy: Buffer[] = [];
  override decodeOne(buf: Buffer, off: number): void {
    if (buf.readUInt16LE(off) === RecordKind.POLICY) this.policy.push(Buffer.from(buf.subarray(off, off + buf.readUInt32LE(off + 4))));
    super.decodeOne(buf, off);
  }
}

let datapath: Datapath | undefined;
let decoder: CapturingDecoder;
let server: ChildProcess | undefined;
const logs: string[] = [];

function openDatapath(): { dp: Datapath; maps: PolicyMaps } {
  decoder = new CapturingDecoder(new LiveRing<RingEntry>(1024));
  const dp = Datapath.open(
    { ...defaultDatapathOptions, objectPath: BPF_OBJECT, pinPath, cgroupRoot: cgRoot, flowMapEntries: 4096 },
    decoder,
    () => {},
    (m) => logs.push(m),
  );
  for (const p of pods) dp.attachInterface(p.ifindex, p.hostIf);
  return { dp, maps: new PolicyMaps(dp.policyMaps(), { hostAddresses: () => [] }) };
}

/** S accepts TCP from A on 8080; A may reach S on TCP 8080 and UDP 5353 only (egress enforced). */
function applyPolicy(maps: PolicyMaps): void {
  const allow = { portPrefixLen: 16, action: "allow" as const, audit: false, l7: false };
  for (const p of pods) {
    maps.setEndpoint(p.ifindex, { endpointId: p.id, identity: p.identity });
    maps.setIpIdentity(p.ip, p.identity, p.id);
  }
  maps.setCgroup(statSync(cgPod, { bigint: true }).ino, { endpointId: A.id, identity: A.identity });
  maps.applyCompiled({
    entries: [
      { ...allow, subject: S.identity, direction: "ingress", peer: A.identity, proto: 6, port: 8080, ruleId: 1 },
      { ...allow, subject: S.identity, direction: "ingress", peer: A.identity, proto: 17, port: 5353, ruleId: 2 },
      { ...allow, subject: A.identity, direction: "egress", peer: S.identity, proto: 6, port: 8080, ruleId: 3 },
      { ...allow, subject: A.identity, direction: "egress", peer: S.identity, proto: 17, port: 5353, ruleId: 4 },
    ],
    subjects: [
      { identity: S.identity, enforceIngress: true, enforceEgress: false, auditIngress: false, auditEgress: false },
      { identity: A.identity, enforceIngress: false, enforceEgress: true, auditIngress: false, auditEgress: false },
    ],
    cidrIdentities: [],
  });
}

const CLIENT = `
const [mode, host, port, cgroup] = process.argv.slice(1);
if (cgroup) require("fs").writeFileSync(cgroup + "/cgroup.procs", String(process.pid));
const t0 = Date.now();
const done = (r) => { console.log(JSON.stringify({ r, ms: Date.now() - t0 })); process.exit(0); };
if (mode === "tcp") {
  const s = require("net").connect({ host, port: Number(port) });
  s.setTimeout(1500);
  s.on("connect", () => done("ok"));
  s.on("timeout", () => done("timeout"));
  s.on("error", (e) => done(e.code));
} else {
  const s = require("dgram").createSocket(host.includes(":") ? "udp6" : "udp4");
  s.send("x", Number(port), host, (e) => done(e ? e.code : "ok"));
}`;

/** Runs a client inside a pod's netns (optionally in the test cgroup): its result and how long it took. */
function client(pod: Pod, mode: "tcp" | "udp", host: string, port: number, cgroup = ""): { r: string; ms: number } {
  // nsenter, not ip netns exec: that remounts /sys, hiding the cgroup tree.
  const out = sh("nsenter", `--net=/var/run/netns/${pod.ns}`, process.execPath, "-e", CLIENT, mode, host, String(port), cgroup);
  return JSON.parse(out.trim());
}

beforeAll(async () => {
  execFileSync("make", ["-C", new URL("../../../../bpf", import.meta.url).pathname, "-s"], { stdio: "inherit" });
  trySh("ip", "link", "del", bridge);
  sh("ip", "link", "add", bridge, "type", "bridge");
  sh("ip", "link", "set", bridge, "up");
  for (const p of pods) {
    trySh("ip", "netns", "del", p.ns);
    sh("ip", "netns", "add", p.ns);
    sh("ip", "link", "add", p.hostIf, "type", "veth", "peer", "name", "eth0", "netns", p.ns);
    sh("ip", "link", "set", p.hostIf, "master", bridge, "up");
    sh("ip", "-n", p.ns, "addr", "add", `${p.ip}/24`, "dev", "eth0");
    sh("ip", "-n", p.ns, "link", "set", "eth0", "up");
    sh("ip", "-n", p.ns, "link", "set", "lo", "up");
    p.ifindex = Number(readFileSync(`/sys/class/net/${p.hostIf}/ifindex`, "utf8"));
  }
  mkdirSync(cgWorker, { recursive: true });
  server = spawn(
    "ip",
    [
      "netns",
      "exec",
      S.ns,
      process.execPath,
      "-e",
      `require("net").createServer((s) => s.end()).listen(8080, () => console.log("up"));
       require("dgram").createSocket("udp4").bind(5353);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((ok) => server?.stdout?.once("data", () => ok()));
});

afterAll(async () => {
  datapath?.close();
  await uninstall({ pinPath, stateDir: "/nonexistent", log: () => {} });
  if (server?.pid) process.kill(server.pid, "SIGKILL");
  for (const p of pods) trySh("ip", "netns", "del", p.ns);
  trySh("ip", "link", "del", bridge);
  for (const dir of [cgWorker, cgPod, cgRoot]) if (existsSync(dir)) rmdirSync(dir);
});

describe("policy on real traffic", () => {
  it("lets the allowed pod connect and drops the denied one in tc, with records", () => {
    const opened = openDatapath();
    datapath = opened.dp;
    applyPolicy(opened.maps);
    const before = datapath.stats().policyDrops;
    expect(client(A, "tcp", S.ip, 8080).r).toBe("ok");
    expect(client(B, "tcp", S.ip, 8080).r).toBe("timeout");
    expect(datapath.stats().policyDrops).toBeGreaterThan(before);
    datapath.drain();
    const recs = decoder.policy.map((r) => ({
      verdict: r[Off.polVerdict],
      hook: r[Off.polHook],
      subject: r.readUInt32LE(Off.polSubject),
      peer: r.readUInt32LE(Off.polPeer),
      rule: r.readUInt32LE(Off.polRuleId),
    }));
    expect(recs).toContainEqual({ verdict: PolicyVerdict.FORWARDED, hook: PolicyHook.TC, subject: S.identity, peer: A.identity, rule: 1 });
    expect(recs).toContainEqual({ verdict: PolicyVerdict.FORWARDED, hook: PolicyHook.TC, subject: A.identity, peer: S.identity, rule: 3 });
    expect(recs).toContainEqual({ verdict: PolicyVerdict.DROPPED, hook: PolicyHook.TC, subject: S.identity, peer: B.identity, rule: 0 });
  });

  it("refuses connect() and sendmsg() of a process in the endpoint's cgroup with EPERM at once", () => {
    decoder.policy.length = 0;
    expect(client(A, "tcp", S.ip, 8080, cgWorker).r).toBe("ok");
    const denied = client(A, "tcp", S.ip, 8081, cgWorker);
    expect(denied.r).toBe("EPERM"); // refused by the hook at once: a tc drop would end in "timeout"
    expect(client(A, "tcp", `::ffff:${S.ip}`, 8081, cgWorker).r).toBe("EPERM"); // connect6, IPv4-mapped
    expect(client(A, "udp", S.ip, 5353, cgWorker).r).toBe("ok");
    expect(client(A, "udp", S.ip, 5354, cgWorker).r).toBe("EPERM");
    // Outside the cgroup the same connect is not refused by the socket hook: tc drops its SYN.
    expect(client(A, "tcp", S.ip, 8081).r).toBe("timeout");
    datapath?.drain();
    const hooks = decoder.policy.map((r) => [r[Off.polHook], r[Off.polVerdict], r.readUInt16LE(Off.dport), r.readUInt32LE(Off.polPid) > 0]);
    expect(hooks).toContainEqual([PolicyHook.CONNECT, PolicyVerdict.DROPPED, 8081, true]);
    expect(hooks).toContainEqual([PolicyHook.SENDMSG, PolicyVerdict.DROPPED, 5354, true]);
    const sock = decoder.policy.find((r) => r[Off.polHook] === PolicyHook.CONNECT);
    expect(sock?.readBigUInt64LE(Off.polCgroup)).toBe(statSync(cgPod, { bigint: true }).ino);
  });

  it("keeps enforcing after the collector closes; a new one adopts the pinned state without rewriting it", () => {
    datapath?.close();
    datapath = undefined;
    expect(sh("tc", "filter", "show", "dev", S.hostIf, "egress")).toMatch(/fl_tc_egress/);
    expect(client(A, "tcp", S.ip, 8080).r).toBe("ok");
    expect(client(B, "tcp", S.ip, 8080).r).toBe("timeout");
    expect(client(A, "tcp", S.ip, 8081, cgWorker).r).toBe("EPERM");

    const { dp, maps } = openDatapath();
    datapath = dp;
    expect(maps.counts()).toEqual({ policy: 4, ipcache: 3, endpoints: 3, cgroups: 1 });
    expect(maps.applyCompiled({ entries: [], subjects: [], cidrIdentities: [] }).deleted).toBe(4);
    expect(client(B, "tcp", S.ip, 8080).r).toBe("ok"); // no policy: the new programs enforce nothing
    applyPolicy(maps);
    expect(client(B, "tcp", S.ip, 8080).r).toBe("timeout");
    const filters = sh("tc", "filter", "show", "dev", S.hostIf, "egress").split("\n");
    expect(filters.filter((l) => l.includes("fl_tc_egress"))).toHaveLength(1); // replaced in place
  });

  it("uninstall removes filters, socket hooks and pins", async () => {
    datapath?.close();
    datapath = undefined;
    const report = await uninstall({ pinPath, stateDir: "/nonexistent", log: () => {} });
    expect(report).toMatchObject({ filters: 6, links: 4 });
    expect(existsSync(pinPath)).toBe(false);
    expect(sh("tc", "filter", "show", "dev", S.hostIf, "egress")).not.toMatch(/fl_tc/);
    expect(client(B, "tcp", S.ip, 8080).r).toBe("ok");
    expect(client(A, "tcp", S.ip, 8081, cgWorker).r).toBe("ECONNREFUSED");
  });
});
