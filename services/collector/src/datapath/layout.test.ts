// The TS view of the ABI must match what compilers make of abi.h: checked against the BPF
// object's BTF (clang's layout) and against golden bytes written field by field by C (gcc's).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { LiveRing } from "../flows/ring.js";
import { addrToString, macToString } from "../net/ip.js";
import {
  ctKey,
  decodeCtValue,
  decodeEndpointInfo,
  endpointInfo,
  ipcacheKey,
  ipcacheValue,
  policyKey,
  policyValue,
} from "../policy/maps/keys.js";
import { RecordDecoder, type RingEntry } from "./decoder.js";
import { DatapathEvent } from "./events.js";
import { Layout, Off, PolicyDropReason, RecordKind, Stat } from "./layout.js";

const BPF_DIR = fileURLToPath(new URL("../../../../bpf", import.meta.url));

interface BtfType {
  kind: string;
  name?: string;
  size?: number;
  members?: { name: string; bits_offset: number }[];
}

describe("ABI layout against the BPF object's BTF", () => {
  let types: BtfType[];
  beforeAll(() => {
    execFileSync("make", ["-C", BPF_DIR, "-s"], { stdio: "inherit" });
    const json = execFileSync("bpftool", ["-j", "btf", "dump", "file", `${BPF_DIR}/.output/flowlens.bpf.o`], {
      maxBuffer: 64 * 1024 * 1024,
    });
    types = (JSON.parse(json.toString()) as { types: BtfType[] }).types;
  });

  for (const [name, layout] of Object.entries(Layout)) {
    it(`struct ${name}`, () => {
      const t = types.find((x) => x.kind === "STRUCT" && x.name === name);
      expect(t, `struct ${name} missing from the object's BTF`).toBeDefined();
      expect(t?.size).toBe(layout.size);
      const btf = Object.fromEntries((t?.members ?? []).map((m) => [m.name, m.bits_offset / 8]));
      expect(btf).toEqual(layout.fields);
    });
  }
});

describe("enum constants against C", () => {
  it("fl_stat and fl_policy_drop_reason have the values layout.ts uses", () => {
    execFileSync("make", ["-C", BPF_DIR, "-s", "golden"], { stdio: "inherit" });
    const c = Object.fromEntries(
      execFileSync(`${BPF_DIR}/.output/golden`, ["enums"])
        .toString()
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0], Number(l.split(" ")[1])]),
    );
    const stat = Object.fromEntries(Object.entries(Stat).map(([k, v]) => [`FL_STAT_${k}`, v]));
    const cName: Record<keyof typeof PolicyDropReason, string> = {
      POLICY_DENIED: "FL_DROP_POLICY_DENIED",
      POLICY_DENY: "FL_DROP_POLICY_DENY",
      INVALID_PACKET_DROPPED: "FL_DROP_INVALID_PACKET",
      CT_TRUNCATED_OR_INVALID_HEADER: "FL_DROP_CT_INVALID_HDR",
      INVALID_IPV6_EXTENSION_HEADER: "FL_DROP_INVALID_EXTHDR",
      FRAG_NOT_FOUND: "FL_DROP_FRAG_NOT_FOUND",
    };
    const drop = Object.fromEntries(Object.entries(PolicyDropReason).map(([k, v]) => [cName[k as keyof typeof PolicyDropReason], v]));
    expect({ ...stat, ...drop }).toEqual(c);
  });
});

describe("decoder against golden bytes from C", () => {
  let golden: Buffer;
  beforeAll(() => {
    execFileSync("make", ["-C", BPF_DIR, "-s", "golden"], { stdio: "inherit" });
    golden = execFileSync(`${BPF_DIR}/.output/golden`, ["records"]);
  });

  it("lays the four records out back to back with their lengths", () => {
    expect(golden.length).toBe(152 + 80 + 96 + 64);
    expect([0, 152, 232, 328].map((o) => golden.readUInt32LE(o + Off.len))).toEqual([152, 80, 96, 64]);
    expect([0, 152, 232, 328].map((o) => golden.readUInt16LE(o))).toEqual([1, 2, 3, 4]);
  });

  it("decodes every field of the flow record", () => {
    const ev = new DatapathEvent(RecordKind.FLOW, golden, 0, 0);
    expect(addrToString(golden, Off.saddr, ev.ipVersion)).toBe("10.1.2.3");
    expect(addrToString(golden, Off.daddr, ev.ipVersion)).toBe("10.4.5.6");
    expect([ev.sport, ev.dport, ev.ifindex, ev.proto, ev.ipVersion, ev.tcDir]).toEqual([43210, 8080, 168496141, 6, 4, 1]);
    expect(ev.u16(Off.events)).toBe(3);
    expect(ev.u16(Off.tcpFlags)).toBe(0x12);
    expect(ev.u64(Off.flowId)).toBe(3022415463593046);
    expect(ev.u64(Off.firstNs)).toBe(1000000001);
    expect(ev.u64(Off.lastNs)).toBe(2000000002);
    expect(ev.u64(Off.packets)).toBe(4294967298);
    expect(ev.u64(Off.bytes)).toBe(78187493520);
    expect(ev.u64(Off.synNs)).toBe(3000000003);
    expect(ev.u64(Off.rttNs)).toBe(123456);
    expect(ev.u16(Off.tcpFlagsSeen)).toBe(0x0113);
    expect([ev.u8(Off.isReply), ev.u8(Off.ended)]).toEqual([1, 1]);
    expect(macToString(golden, Off.ethSrc)).toBe("02:00:00:aa:bb:cc");
    expect(macToString(golden, Off.ethDst)).toBe("02:00:00:dd:ee:ff");
  });

  it("decodes the drop record", () => {
    const ev = new DatapathEvent(RecordKind.DROP, golden, 152, 0);
    expect(ev.u32(Off.dropReason)).toBe(3);
    expect(ev.u32(Off.dropSkbLen)).toBe(66051);
    expect(ev.u16(Off.dropTcpFlags)).toBe(2);
    expect(golden.readBigUInt64LE(152 + Off.dropLocation)).toBe(0xffffffff81234567n);
  });

  it("feeds sock and retransmit records into the side tables by connection", () => {
    const ring = new LiveRing<RingEntry>(16);
    const dec = new RecordDecoder(ring);
    dec.decodeBatch(golden, Uint32Array.from([0, 152, 232, 328]), 4);
    expect(dec.counts).toMatchObject({ records: 4, flows: 1, drops: 1, sock: 1, retrans: 1, malformed: 0 });
    expect(ring.written).toBe(2); // flow + drop; sock/retrans only annotate flows
    const conn = "fd00::1|50000|fd00::2|443";
    // SYN_SENT -> ESTABLISHED runs in softirq: its pid is not the owner's, so it is not recorded.
    expect(dec.processes.get(conn)).toBeUndefined();
    expect(dec.retransmits.get(conn)).toBe(1);
    const connect = Buffer.from(golden.subarray(232, 328));
    connect.writeUInt16LE(0, Off.sockOldState); // TCP_CLOSE -> TCP_SYN_SENT: connect() in process context
    connect.writeUInt16LE(2, Off.sockNewState);
    dec.decodeBatch(connect, Uint32Array.of(0), 1);
    expect(dec.processes.get(conn)).toEqual({ pid: 74565, comm: "flowlens-golden", cgroupId: 20015998343868 });
    expect((ring.get(0) as DatapathEvent).tsNs).toBe(0x010203040506);
  });

  it("counts a record with a wrong version or a length past the batch as malformed", () => {
    const bad = Buffer.from(golden.subarray(0, 152));
    bad.writeUInt16LE(9, 2);
    const truncated = Buffer.from(golden.subarray(0, 100));
    const short = Buffer.from(golden.subarray(0, 152));
    short.writeUInt32LE(40, Off.len); // claims to be a flow record of 40 bytes
    const dec = new RecordDecoder(new LiveRing<RingEntry>(4));
    dec.decodeBatch(bad, Uint32Array.of(0), 1);
    dec.decodeBatch(truncated, Uint32Array.of(0), 1);
    dec.decodeBatch(short, Uint32Array.of(0), 1);
    expect(dec.counts.malformed).toBe(3);
    expect(dec.counts.flows).toBe(0);
  });

  it("keeps the config and ip key layouts", () => {
    const cfg = execFileSync(`${BPF_DIR}/.output/golden`, ["config"]);
    expect(cfg.length).toBe(Layout.fl_config.size);
    expect(cfg.readBigUInt64LE(Layout.fl_config.fields.report_interval_ns)).toBe(5000000000n);
    expect(cfg.readUInt32LE(Layout.fl_config.fields.wakeup_threshold_bytes)).toBe(65536);
  });
});

describe("policy structs against golden bytes from C", () => {
  let g: Buffer;
  const at: Record<string, number> = {};
  beforeAll(() => {
    execFileSync("make", ["-C", BPF_DIR, "-s", "golden"], { stdio: "inherit" });
    g = execFileSync(`${BPF_DIR}/.output/golden`, ["policy"]);
    let o = 0;
    for (const name of [
      "fl_policy_record",
      "fl_policy_key",
      "fl_policy_value",
      "fl_endpoint_info",
      "fl_ipcache_key",
      "fl_ipcache_value",
      "fl_ct_key",
      "fl_ct_value",
    ] as const) {
      at[name] = o;
      o += Layout[name].size;
    }
    expect(g.length).toBe(o);
  });
  const slice = (name: keyof typeof Layout) => g.subarray(at[name], at[name] + Layout[name].size);

  it("decodes every field of the policy record", () => {
    const r = slice("fl_policy_record");
    expect([r.readUInt16LE(0), r.readUInt32LE(Off.len)]).toEqual([RecordKind.POLICY, 96]);
    expect(addrToString(r, Off.saddr, 4)).toBe("10.1.2.3");
    expect([r.readUInt16LE(Off.sport), r.readUInt16LE(Off.dport), r.readUInt32LE(Off.ifindex)]).toEqual([43210, 8080, 168496141]);
    expect([r.readUInt32LE(Off.polSubject), r.readUInt32LE(Off.polPeer), r.readUInt32LE(Off.polRuleId)]).toEqual([70000, 2, 16909060]);
    expect([r[Off.polDirection], r[Off.polVerdict], r[Off.polMatchType], r[Off.polHook]]).toEqual([1, 2, 3, 1]);
    expect([r.readUInt16LE(Off.polDropReason), r.readUInt16LE(Off.polTcpFlags)]).toEqual([181, 2]);
    expect([r.readUInt32LE(Off.polPid), r.readUInt32LE(Off.polEndpointId)]).toEqual([74565, 7]);
    expect(r.readBigUInt64LE(Off.polCgroup)).toBe(0x123456789abcn);
  });

  it("encodes the map keys and values the way C lays them out", () => {
    const rule = { subject: 70000, peer: 0x8000_0001, direction: "ingress", proto: 6, port: 8080, portPrefixLen: 16 } as const;
    expect(policyKey(rule)).toEqual(slice("fl_policy_key"));
    expect(policyValue({ ...rule, ruleId: 42, action: "deny", audit: true, l7: true })).toEqual(slice("fl_policy_value"));
    const ep = { endpointId: 7, identity: 70000, enforceIngress: true, enforceEgress: true, auditIngress: false, auditEgress: true };
    expect(endpointInfo(ep)).toEqual(slice("fl_endpoint_info"));
    expect(decodeEndpointInfo(slice("fl_endpoint_info"))).toEqual(ep);
    expect(ipcacheKey("10.1.2.0/24")).toEqual(slice("fl_ipcache_key"));
    expect(ipcacheValue(0x8000_0001, 0)).toEqual(slice("fl_ipcache_value"));
    expect(ctKey({ saddr: "10.1.2.3", daddr: "10.4.5.6", sport: 43210, dport: 8080, proto: 6, direction: "egress" })).toEqual(
      slice("fl_ct_key"),
    );
    expect(decodeCtValue(slice("fl_ct_value"))).toEqual({
      createdNs: 1000000001n,
      lastNs: 2000000002n,
      ruleId: 42,
      subjectIdentity: 70000,
      endpointId: 7,
      verdict: 5,
      flags: 3,
    });
  });
});
