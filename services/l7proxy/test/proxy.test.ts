// The L7 proxy with the real kernel: sk_lookup hands connections marked L7 in fl_ct to the proxy
// process, which checks every request against the rules, forwards allowed ones to the real server in
// the pod and answers denied ones 403 — on the same keep-alive connection. No collector runs here.
import { createHash } from "node:crypto";
import type { L7HttpEvent } from "@flowlens/l7-contract";
import { l7Paths, sockKey } from "@flowlens/l7-contract";
import type { L7Port } from "@flowlens/policy";
import { type Bed, createBed, IDENT, SERVER_ID, sleep, spawnClient, waitFor } from "@flowlens/test-harness/l7-bed";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";

const RULES: L7Port[] = [
  {
    subject: IDENT.server,
    port: 80,
    proto: 6,
    rules: [
      {
        peers: [IDENT.client],
        http: [
          { method: "GET", path: "/public" },
          { method: "POST", path: "/echo" },
          { method: "GET", path: "/items(\\?.*)?" },
        ],
        ruleId: 5,
      },
    ],
  },
];

let bed: Bed;
let proxy: ReturnType<Bed["startProxy"]>;
let nextPort = 40000;
/** A fresh block of source ports marked L7 for pod (a port in TIME_WAIT cannot be bound again). */
function ports(pod: string, n = 4, family: 4 | 6 = 4): number {
  const base = nextPort;
  nextPort += n;
  bed.markL7(pod, base, n, family);
  return base;
}
const http = (e: L7HttpEvent | { kind: string }): e is L7HttpEvent => !("kind" in e);

/**
 * Waits until the proxy serves the config just written: a probe request of the client gets `status`,
 * and the probe's last event (its answer) has arrived, so it cannot be counted as the next test's.
 */
async function served(method: string, path: string, status: number): Promise<void> {
  const until = Date.now() + 5000;
  for (;;) {
    const port = ports("client");
    const [r] = await bed.client("client", { localPort: port, requests: [{ method, path }] });
    if (r.status === status) {
      await waitFor("the probe's events", () => bed.events.filter(http).some((e) => e.srcPort === port && e.code === status));
      return;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for the proxy to answer ${method} ${path} with ${status}`);
  }
}

beforeAll(async () => {
  bed = await createBed("h3lp");
  bed.writeConfig(RULES);
  proxy = bed.startProxy();
  await bed.waitRegistered();
});

// The proxy's own log explains most failures; shown only then.
beforeEach(() => onTestFailed(() => process.stderr.write(`proxy output:\n${proxy?.output()}\n`)));

afterAll(async () => {
  await bed?.destroy();
});

describe("L7 proxy", () => {
  it("allows GET /public and denies GET /restricted with 403 on the same keep-alive connection", async () => {
    const [pub, restricted, again] = await bed.client("client", {
      localPort: ports("client"),
      requests: [
        { method: "GET", path: "/public" },
        { method: "GET", path: "/restricted" },
        { method: "GET", path: "/public" },
      ],
    });
    expect(pub.status).toBe(200);
    expect(JSON.parse(pub.body as string)).toMatchObject({ method: "GET", url: "/public" });
    expect(pub.headers?.["x-served-by"]).toBe("echo");
    expect(restricted).toMatchObject({ status: 403, body: "Access denied\r\n", reused: true });
    expect(restricted.headers?.["content-type"]).toBe("text/plain");
    expect(again).toMatchObject({ status: 200, reused: true });
  });

  it("denies POST /public when only GET is allowed", async () => {
    const [post] = await bed.client("client", { localPort: ports("client"), requests: [{ method: "POST", path: "/public", body: "x" }] });
    expect(post).toMatchObject({ status: 403, body: "Access denied\r\n" });
  });

  it("denies every request of a peer the rules do not name", async () => {
    const [get] = await bed.client("other", { localPort: ports("other"), requests: [{ method: "GET", path: "/public" }] });
    expect(get.status).toBe(403);
  });

  it("forwards method, path, headers (with their case) and body unchanged", async () => {
    const body = "flowlens-".repeat(100_000); // 900 KB, streamed both ways (the client repeats it)
    const [echo] = await bed.client("client", {
      localPort: ports("client"),
      requests: [
        {
          method: "POST",
          path: "/echo",
          headers: { "X-Custom-Header": "MiXeD Value", "content-type": "text/plain" },
          body: "flowlens-",
          bodyRepeat: 100_000,
        },
      ],
    });
    expect(echo.status).toBe(200);
    const seen = JSON.parse(echo.body as string);
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/echo");
    expect(seen.bodyLength).toBe(body.length);
    expect(seen.bodySha256).toBe(createHash("sha256").update(body).digest("hex"));
    const raw: string[] = seen.rawHeaders;
    expect(raw[raw.indexOf("X-Custom-Header") + 1]).toBe("MiXeD Value");
    expect(raw[raw.indexOf("Host") + 1]).toBe(`${bed.serverIp}`);
  });

  it("redirects IPv6 connections to the proxy's IPv6 listener", async () => {
    const [pub, restricted] = await bed.client("client", {
      host: bed.serverIp6,
      localPort: ports("client", 4, 6),
      requests: [
        { method: "GET", path: "/public" },
        { method: "GET", path: "/restricted" },
      ],
    });
    expect(pub.status).toBe(200);
    expect(JSON.parse(pub.body as string).url).toBe("/public");
    expect(restricted).toMatchObject({ status: 403, reused: true });
  });

  it("leaves connections without an L7 CT entry to the server", async () => {
    // Source port never marked: sk_lookup passes, the server answers /restricted itself.
    const [direct] = await bed.client("client", { localPort: 39000, requests: [{ method: "GET", path: "/restricted" }] });
    expect(direct.status).toBe(200);
  });

  it("reports each request: REQUEST + RESPONSE when forwarded, one DROPPED REQUEST with 403 when denied", async () => {
    const port = ports("client");
    const before = bed.events.length;
    await bed.client("client", {
      localPort: port,
      requests: [
        { method: "GET", path: "/items?q=1" },
        { method: "GET", path: "/restricted" },
      ],
    });
    const evs = await waitFor("3 events", () => {
      const e = bed.events.slice(before).filter(http);
      return e.length >= 3 ? e : undefined;
    });
    const clientIp = bed.pods.pod("client").ipv4;
    const common = {
      endpointId: SERVER_ID,
      subjectIdentity: IDENT.server,
      peerIdentity: IDENT.client,
      srcIp: clientIp,
      srcPort: port,
      dstIp: bed.serverIp,
      dstPort: 80,
      protocol: "HTTP/1.1",
    };
    expect(evs[0]).toMatchObject({
      ...common,
      type: "REQUEST",
      method: "GET",
      url: "/items?q=1",
      verdict: "FORWARDED",
      ruleId: 5,
      code: 0,
    });
    expect(evs[1]).toMatchObject({ ...common, type: "RESPONSE", url: "/items?q=1", verdict: "FORWARDED", ruleId: 5, code: 200 });
    expect(evs[1].latencyNs).toBeGreaterThan(0);
    expect(evs[2]).toMatchObject({ ...common, type: "REQUEST", url: "/restricted", verdict: "DROPPED", ruleId: 0, code: 403 });
    expect(Math.abs(evs[0].time / 1e6 - Date.now())).toBeLessThan(10_000);
    await sleep(200);
    expect(bed.events.slice(before).filter(http)).toHaveLength(3);
  });

  it("applies a new config to the next request, also on an open connection", async () => {
    const client = spawnClient(bed, "client", {
      localPort: ports("client"),
      pauseMs: 1500,
      requests: [
        { method: "GET", path: "/restricted" },
        { method: "GET", path: "/restricted" },
      ],
    });
    await waitFor("the first answer", () => client.lines().some((l) => "paused" in l));
    bed.writeConfig([{ ...RULES[0], rules: [{ ...RULES[0].rules[0], http: [{ method: "GET", path: "/.*" }] }] }]);
    await client.done;
    const [first, second] = client.lines().filter((l) => !("paused" in l)) as { status: number; reused: boolean }[];
    expect(first.status).toBe(403);
    expect(second).toMatchObject({ status: 200, reused: true });
    bed.writeConfig(RULES);
    await served("GET", "/restricted", 403);
  });

  it("an audit-mode port forwards what the rules deny and reports it as AUDIT", async () => {
    bed.writeConfig([{ ...RULES[0], audit: true }]);
    await served("GET", "/restricted", 200);
    const before = bed.events.length;
    const [r] = await bed.client("client", { localPort: ports("client"), requests: [{ method: "DELETE", path: "/restricted" }] });
    expect(r.status).toBe(200);
    const evs = await waitFor("audit events", () => {
      const e = bed.events.slice(before).filter(http);
      return e.length >= 2 ? e : undefined;
    });
    expect(evs.map((e) => `${e.type} ${e.verdict} ${e.code}`)).toEqual(["REQUEST AUDIT 0", "RESPONSE AUDIT 200"]);
    bed.writeConfig(RULES);
    await served("GET", "/restricted", 403);
  });

  it("answers 503 and closes when the server is not there", async () => {
    // Port 81 is marked L7 in fl_ct but nothing listens on it in the pod.
    const port = nextPort;
    nextPort += 2;
    const ip = bed.pods.pod("client").ipv4;
    const k = Buffer.alloc(40);
    Buffer.from(ip.split(".").map(Number)).copy(k, 0);
    Buffer.from(bed.serverIp.split(".").map(Number)).copy(k, 16);
    k.writeUInt16LE(port, 32);
    k.writeUInt16LE(81, 34);
    k[36] = 6;
    const v = Buffer.alloc(32);
    v.writeUInt32LE(SERVER_ID, 24);
    v[29] = 1;
    bed.ct.update(k, v);
    bed.writeConfig([...RULES, { ...RULES[0], port: 81 }]);
    await sleep(300);
    const out = await bed.pods.exec(
      "client",
      ["curl", "-s", "-m", "5", "--local-port", String(port), "-o", "/dev/null", "-w", "%{http_code}", `http://${bed.serverIp}:81/public`],
      { allowFail: true },
    );
    expect(out.stdout).toBe("503");
    bed.writeConfig(RULES);
  });

  it("answers garbage with 400 and keeps serving", async () => {
    const port = ports("client");
    const script = `const s=require("net").connect({host:"${bed.serverIp}",port:80,localPort:${port}},()=>s.write("NOT HTTP AT ALL\\r\\n\\r\\n"));let o="";s.on("data",d=>o+=d);s.on("close",()=>{console.log(o.split("\\r\\n")[0]);process.exit(0);});s.on("error",e=>console.log(e.code));setTimeout(()=>{console.log("TIMEOUT");process.exit(1)},5000);`;
    const out = await bed.pods.exec("client", [process.execPath, "-e", script], { allowFail: true });
    expect(out.stdout.trim()).toBe("HTTP/1.1 400 Bad Request");
    const [ok] = await bed.client("client", { localPort: ports("client"), requests: [{ method: "GET", path: "/public" }] });
    expect(ok.status).toBe(200);
  });

  it("keeps enforcing while the collector is away, then delivers the buffered events", async () => {
    await bed.stopEvents();
    const before = bed.events.length;
    const [r1, r2] = await bed.client("client", {
      localPort: ports("client"),
      requests: [
        { method: "GET", path: "/public" },
        { method: "GET", path: "/restricted" },
      ],
    });
    expect(r1.status).toBe(200);
    expect(r2.status).toBe(403);
    expect(bed.events.length).toBe(before);
    await bed.listenEvents();
    const evs = await waitFor("buffered events", () => {
      const e = bed.events.slice(before).filter(http);
      return e.length >= 3 ? e : undefined;
    });
    expect(evs.map((e) => `${e.type} ${e.url} ${e.verdict}`)).toEqual([
      "REQUEST /public FORWARDED",
      "RESPONSE /public FORWARDED",
      "REQUEST /restricted DROPPED",
    ]);
  });

  it("fails closed with a reset when the proxy dies, and a restarted proxy registers again", async () => {
    const pidFile = l7Paths(bed.stateDir).pidFile;
    const { readPid } = await import("@flowlens/l7-contract");
    const held = spawnClient(bed, "client", {
      localPort: ports("client"),
      pauseMs: 1500,
      requests: [
        { method: "GET", path: "/public" },
        { method: "GET", path: "/public" },
      ],
    });
    await waitFor("the first answer", () => held.lines().some((l) => "paused" in l));
    const pid = readPid(pidFile) as number;
    process.kill(pid, "SIGKILL");
    await waitFor("the listener to leave fl_l7_socks", () => bed.socks.lookup(sockKey(SERVER_ID, 4)) === undefined || undefined);

    // New connection: sk_lookup finds no proxy socket and drops the SYN's lookup -> RST at once.
    const [refused] = await bed.client("client", { localPort: ports("client"), requests: [{ method: "GET", path: "/public" }] });
    expect(refused.error).toBe("ECONNREFUSED"); // a reset, not a wait for the SYN's retries

    // The open keep-alive connection died with the proxy: the next request fails fast, it does not hang.
    await held.done;
    const [, second] = held.lines().filter((l) => !("paused" in l)) as { status?: number; error?: string; ms: number }[];
    expect(second.status).toBeUndefined();
    expect(second.ms).toBeLessThan(1000);

    bed.startProxy();
    await bed.waitRegistered();
    const [ok] = await bed.client("client", { localPort: ports("client"), requests: [{ method: "GET", path: "/public" }] });
    expect(ok.status).toBe(200);
  });
});
