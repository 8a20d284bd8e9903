// The whole kernel path without hand-made CT entries: the tc programs on the server's veth decide
// each SYN with fl_policy (an L7 allow for the client's identity on TCP/80), write the CT entry with
// FL_CTF_L7, and sk_lookup hands the connection to the proxy — from any client source port.
import type { L7Port } from "@flowlens/policy";
import { type Bed, createBed, IDENT, SERVER_ID } from "@flowlens/test-harness/l7-bed";
import type { Link } from "libbpf-ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const L7: L7Port[] = [
  { subject: IDENT.server, port: 80, proto: 6, rules: [{ peers: [IDENT.client], http: [{ method: "GET", path: "/public" }], ruleId: 7 }] },
];

/** fl_policy key (abi.h fl_policy_key): full prefix 96, dport in network order. */
function policyKey(subject: number, peer: number, dir: number, proto: number, dport: number): Buffer {
  const k = Buffer.alloc(16);
  k.writeUInt32LE(96, 0);
  k.writeUInt32LE(subject, 4);
  k.writeUInt32LE(peer, 8);
  k[12] = dir;
  k[13] = proto;
  k.writeUInt16BE(dport, 14);
  return k;
}

/** fl_policy_value: rule id, FL_POL_ALLOW, flags, l4_match 2 (protocol and port). */
function allow(ruleId: number, flags: number): Buffer {
  const v = Buffer.alloc(8);
  v.writeUInt32LE(ruleId, 0);
  v[4] = 1;
  v[5] = flags;
  v[6] = 2;
  return v;
}

let bed: Bed;
const links: Link[] = [];

beforeAll(async () => {
  bed = await createBed("h3lt");
  const server = bed.pods.pod("server");
  // fl_endpoints: the server's veth, ingress enforced.
  const info = Buffer.alloc(12);
  info.writeUInt32LE(SERVER_ID, 0);
  info.writeUInt32LE(IDENT.server, 4);
  info[8] = 1;
  const ifindex = Buffer.alloc(4);
  ifindex.writeUInt32LE(server.ifindex);
  bed.obj.map("fl_endpoints").update(ifindex, info);
  // app2 may reach TCP/80 through the proxy (FL_POLF_L7); app3 may reach it at L4 only.
  bed.obj.map("fl_policy").update(policyKey(IDENT.server, IDENT.client, 0, 6, 80), allow(7, 2));
  bed.obj.map("fl_policy").update(policyKey(IDENT.server, IDENT.other, 0, 6, 80), allow(8, 0));
  links.push(bed.obj.program("fl_tc_egress").attachTc(server.ifindex, "egress"));
  links.push(bed.obj.program("fl_tc_ingress").attachTc(server.ifindex, "ingress"));
  bed.writeConfig(L7);
  bed.startProxy();
  await bed.waitRegistered();
});

afterAll(async () => {
  for (const l of links) l.close();
  await bed?.destroy();
});

describe("tc decides, sk_lookup redirects", () => {
  it("sends an L7-allowed peer's connections through the proxy, from any source port", async () => {
    for (const localPort of [43001, 43002]) {
      const [pub, restricted, post] = await bed.client("client", {
        localPort,
        requests: [
          { method: "GET", path: "/public" },
          { method: "GET", path: "/restricted" },
          { method: "POST", path: "/public", body: "x" },
        ],
      });
      expect(pub.status).toBe(200);
      expect(restricted).toMatchObject({ status: 403, body: "Access denied\r\n", reused: true });
      expect(post).toMatchObject({ status: 403, reused: true });
    }
  });

  it("leaves a peer allowed at L4 only to the server itself", async () => {
    const [direct] = await bed.client("other", { localPort: 43003, requests: [{ method: "GET", path: "/restricted" }] });
    expect(direct.status).toBe(200);
  });
});
