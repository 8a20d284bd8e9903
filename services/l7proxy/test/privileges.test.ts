// Least privilege of the L7 proxy: started as the collector starts it (proxyCommand), the running
// process holds CAP_SYS_ADMIN and CAP_BPF only — effective, permitted and bounding, no_new_privs set —
// and with just those it still listens in the pod, forwards allowed requests from inside the pod and
// answers denied ones 403. Without one of them it stops with one line.
import { readdirSync, readFileSync } from "node:fs";
import { L7PROXY_CAPABILITIES, l7Paths, readPid } from "@flowlens/l7-contract";
import type { L7Port } from "@flowlens/policy";
import { type Bed, createBed, IDENT, PROXY_MAIN, waitFor } from "@flowlens/test-harness/l7-bed";
import { run } from "@flowlens/test-harness/run";
import { processCapabilities } from "libbpf-ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const RULES: L7Port[] = [
  { subject: IDENT.server, port: 80, proto: 6, rules: [{ peers: [IDENT.client], http: [{ method: "GET", path: "/public" }], ruleId: 1 }] },
];

let bed: Bed;
let proxy: ReturnType<Bed["startProxy"]>;

beforeAll(async () => {
  bed = await createBed("h3lcap");
  bed.writeConfig(RULES);
  proxy = bed.startProxy();
  await bed.waitRegistered();
});

afterAll(async () => {
  await bed?.destroy();
});

describe("L7 proxy privileges", () => {
  it("runs with only CAP_SYS_ADMIN and CAP_BPF and no_new_privs", async () => {
    // Its start line (written right after its listeners registered) names what it holds.
    await waitFor("the proxy's start line", () => /serving .*; capabilities /.test(proxy.output()) || undefined);
    const pid = readPid(l7Paths(bed.stateDir).pidFile) as number;
    expect(pid).toBe(proxy.process.pid); // setpriv exec'd node: the same process
    const caps = processCapabilities(pid);
    const want = Object.keys(L7PROXY_CAPABILITIES).sort();
    expect(want).toEqual(["CAP_BPF", "CAP_SYS_ADMIN"]);
    expect([...caps.effective].sort()).toEqual(want);
    expect([...caps.permitted].sort()).toEqual(want);
    expect([...caps.bounding].sort()).toEqual(want);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(/^CapAmb:\s+0+$/m);
    expect(status).toMatch(/^CapInh:\s+0+$/m);
    // Every thread (libuv's, V8's), not only the main one.
    const tasks = readdirSync(`/proc/${pid}/task`);
    expect(tasks.length).toBeGreaterThan(1);
    for (const tid of tasks) {
      let effective: string[];
      try {
        effective = [...processCapabilities(`${pid}/task/${tid}`).effective].sort();
      } catch {
        continue; // a thread that ended meanwhile
      }
      expect(effective, `thread ${tid}`).toEqual(want);
    }
    expect(proxy.output()).toMatch(/capabilities CAP_SYS_ADMIN, CAP_BPF/);
    expect(proxy.output()).not.toMatch(/more capabilities than it uses/);
  });

  it("with only those, still listens in the pod, forwards from inside it and denies with 403", async () => {
    bed.markL7("client", 41000, 2, 4);
    const [pub, restricted] = await bed.client("client", {
      localPort: 41000,
      requests: [
        { method: "GET", path: "/public" },
        { method: "GET", path: "/restricted" },
      ],
    });
    expect(pub.status).toBe(200);
    expect(restricted.status).toBe(403);
  });

  it("refuses to start without CAP_SYS_ADMIN, in one line", async () => {
    const r = await run(
      ["setpriv", "--bounding-set", "-all,+bpf", "--inh-caps", "-all", "--", process.execPath, PROXY_MAIN, "--state-dir", bed.stateDir],
      { allowFail: true, timeoutMs: 15_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `flowlens-l7proxy: needs CAP_SYS_ADMIN, CAP_BPF; missing: CAP_SYS_ADMIN (${L7PROXY_CAPABILITIES.CAP_SYS_ADMIN})`,
    ]);
  });
});
