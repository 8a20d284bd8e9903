import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PolicyError } from "@flowlens/policy";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PolicyFiles } from "./policy-files.js";
import { API_ORIGIN, type PolicyInstaller, PolicyOriginError, PolicyStore, type StoredPolicy } from "./store.js";
import { cnp } from "./testkit.js";

/** Records what was installed; `reject` makes the next prepare fail like a compile error. */
class FakeInstaller implements PolicyInstaller {
  installed: readonly StoredPolicy[] = [];
  installs = 0;
  reject: PolicyError[] | undefined;
  prepare(set: readonly StoredPolicy[]) {
    if (this.reject) return { ok: false as const, errors: this.reject };
    return {
      ok: true as const,
      install: () => {
        this.installed = [...set];
        this.installs++;
      },
    };
  }
  names(): string[] {
    return this.installed.map((s) => s.policy.ref.name).sort();
  }
}

let dir: string;
let logs: string[];
const log = (m: string) => logs.push(m);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flowlens-h4-store-"));
  logs = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("policy store", () => {
  it("applies, persists one file per policy and re-applies them on start", () => {
    const inst = new FakeInstaller();
    const store = new PolicyStore({ dir: join(dir, "policies"), installer: inst, log, now: () => Date.parse("2026-01-02T03:04:05Z") });
    const res = store.apply([{ source: "a.yaml", text: `${cnp("app1-allow")}---\n${cnp("shop-allow", { namespace: "shop" })}` }]);
    expect(res.errors).toEqual([]);
    expect(res.applied.map((s) => [s.policy.ref.namespace, s.policy.ref.name, s.revision, s.origin])).toEqual([
      ["default", "app1-allow", 1, API_ORIGIN],
      ["shop", "shop-allow", 1, API_ORIGIN],
    ]);
    expect(inst.names()).toEqual(["app1-allow", "shop-allow"]);
    expect(readdirSync(join(dir, "policies")).sort()).toEqual(["cnp_default_app1-allow.yaml", "cnp_shop_shop-allow.yaml"]);
    const file = readFileSync(join(dir, "policies", "cnp_default_app1-allow.yaml"), "utf8");
    expect(file).toMatch(/^# flowlens policy: revision 1, applied 2026-01-02T03:04:05.000Z\n/);
    expect(file).toContain("name: app1-allow");

    // A new process: same policies, same revisions, the next change goes on from there.
    const inst2 = new FakeInstaller();
    const again = new PolicyStore({ dir: join(dir, "policies"), installer: inst2, log });
    again.load();
    expect(inst2.names()).toEqual(["app1-allow", "shop-allow"]);
    expect(again.get("app1-allow", "default")?.revision).toBe(1);
    expect(again.get("app1-allow", "default")?.appliedAtMs).toBe(Date.parse("2026-01-02T03:04:05Z"));
    expect(again.get("app1-allow", "default")?.policy.text).toBe(store.get("app1-allow", "default")?.policy.text);
    again.apply([{ source: "b.yaml", text: cnp("app1-allow", { port: 8080 }) }]);
    expect(again.get("app1-allow", "")?.revision).toBe(2);
  });

  it("rejects the whole input when any document is bad: nothing installed, nothing written", () => {
    const inst = new FakeInstaller();
    const store = new PolicyStore({ dir, installer: inst, log });
    const res = store.apply([
      { source: "good.yaml", text: cnp("good") },
      { source: "bad.yaml", text: cnp("bad", { port: 70000 }).replace("endpointSelector", "endpointSelectr") },
    ]);
    expect(res.applied).toEqual([]);
    expect(res.errors.length).toBeGreaterThanOrEqual(2);
    for (const e of res.errors) expect(e.source).toBe("bad.yaml");
    expect(res.errors.some((e) => e.path.includes("endpointSelectr") && e.line === 6)).toBe(true);
    expect(res.errors.some((e) => e.path.includes("port") && /70000/.test(e.message))).toBe(true);
    expect(inst.installs).toBe(0);
    expect(store.list()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the previous set when the new whole set does not compile", () => {
    const inst = new FakeInstaller();
    const store = new PolicyStore({ dir, installer: inst, log });
    store.apply([{ source: "a", text: cnp("one") }]);
    inst.reject = [{ source: "", path: "", message: "too many CIDR identities" }];
    const res = store.apply([{ source: "b", text: cnp("two") }]);
    expect(res.errors.map((e) => e.message)).toEqual(["too many CIDR identities"]);
    expect(store.list().map((s) => s.policy.ref.name)).toEqual(["one"]);
    expect(inst.names()).toEqual(["one"]);
    expect(readdirSync(dir)).toEqual(["cnp_default_one.yaml"]);
    expect(store.revision).toBe(1);
  });

  it("an empty input is an error, not a no-op", () => {
    const store = new PolicyStore({ dir, installer: new FakeInstaller(), log });
    expect(store.apply([{ source: "-", text: "" }]).errors[0].message).toMatch(/no CiliumNetworkPolicy/);
  });

  it("deletes a policy and its file; unknown names are undefined", () => {
    const inst = new FakeInstaller();
    const store = new PolicyStore({ dir, installer: inst, log });
    store.apply([{ source: "a", text: `${cnp("one")}---\n${cnp("two")}` }]);
    expect(store.delete("one", "default")?.policy.ref.name).toBe("one");
    expect(inst.names()).toEqual(["two"]);
    expect(existsSync(join(dir, "cnp_default_one.yaml"))).toBe(false);
    expect(store.delete("one", "default")).toBeUndefined();
    expect(store.revision).toBe(2);
  });

  it("re-applying the same text keeps the revision", () => {
    const store = new PolicyStore({ dir, installer: new FakeInstaller(), log });
    store.apply([{ source: "a", text: cnp("one") }]);
    store.apply([{ source: "a", text: cnp("one") }]);
    expect(store.revision).toBe(1);
    store.apply([{ source: "a", text: cnp("one", { audit: true }) }]);
    expect(store.get("one", "default")).toMatchObject({ revision: 2, policy: { audit: true } });
  });
});

const until = (what: string, cond: () => boolean, ms = 5000) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error(`timed out waiting for ${what}; log:\n${logs.join("\n")}`);
    },
    { timeout: ms, interval: 20 },
  );

describe("--policies FILE|DIR", () => {
  it("applies a directory, follows edits, keeps the last good set on a bad edit and logs each error", async () => {
    const pdir = join(dir, "policies.d");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(pdir);
    writeFileSync(join(pdir, "10-a.yaml"), cnp("a"));
    writeFileSync(join(pdir, "20-b.yml"), cnp("b"));
    writeFileSync(join(pdir, "README.md"), "not a policy");
    const inst = new FakeInstaller();
    const store = new PolicyStore({ dir: join(dir, "state"), installer: inst, log });
    const files = new PolicyFiles(pdir, store, log, 50);
    try {
      expect(files.load()).toBe(true);
      expect(inst.names()).toEqual(["a", "b"]);
      expect(store.get("a", "default")?.origin).toBe(pdir);
      // File policies are not persisted in the state dir: the files are their own record.
      expect(existsSync(join(dir, "state"))).toBe(false);
      files.watch(60_000);

      writeFileSync(join(pdir, "20-b.yml"), cnp("b").replace("endpointSelector", "endpointSelectr").replace('"80"', '"70000"'));
      await until("the bad edit is reported", () => logs.some((l) => l.includes("rejected")));
      expect(inst.names()).toEqual(["a", "b"]);
      const errorLines = logs.filter((l) => l.startsWith("  "));
      expect(errorLines.length).toBeGreaterThanOrEqual(2);
      for (const l of errorLines) expect(l).toMatch(/20-b\.yml:\d+: spec\./);

      writeFileSync(join(pdir, "20-b.yml"), cnp("c"));
      await until("the fixed file is applied", () => inst.names().join() === "a,c");

      rmSync(join(pdir, "10-a.yaml"));
      await until("the removed file's policy is gone", () => inst.names().join() === "c");
    } finally {
      files.close();
    }
  });

  it("follows a single file replaced by rename, as editors save", async () => {
    const f = join(dir, "p.yaml");
    writeFileSync(f, cnp("one"));
    const inst = new FakeInstaller();
    const store = new PolicyStore({ installer: inst, log });
    const files = new PolicyFiles(f, store, log, 50);
    try {
      files.load();
      files.watch(60_000);
      writeFileSync(`${f}.swp`, cnp("two"));
      const { renameSync } = await import("node:fs");
      renameSync(`${f}.swp`, f);
      await until("the renamed file is applied", () => inst.names().join() === "two");
    } finally {
      files.close();
    }
  });

  it("a policy from a file cannot be deleted or replaced through the API", () => {
    const f = join(dir, "p.yaml");
    writeFileSync(f, cnp("one"));
    const store = new PolicyStore({ dir: join(dir, "state"), installer: new FakeInstaller(), log });
    new PolicyFiles(f, store, log).load();
    expect(() => store.delete("one", "default")).toThrow(PolicyOriginError);
    expect(() => store.delete("one", "default")).toThrow(`comes from --policies ${f}`);
    const res = store.apply([{ source: "-", text: cnp("one", { port: 81 }) }]);
    expect(res.errors[0].message).toMatch(/already comes from --policies/);
  });

  it("a missing path keeps what was read before", () => {
    const f = join(dir, "p.yaml");
    writeFileSync(f, cnp("one"));
    const inst = new FakeInstaller();
    const store = new PolicyStore({ installer: inst, log });
    const files = new PolicyFiles(f, store, log);
    files.load();
    rmSync(f);
    expect(files.load()).toBe(false);
    expect(inst.names()).toEqual(["one"]);
    expect(logs.at(-1)).toBe(`read --policies ${f}: ENOENT; keeping the policies read before`);
  });
});
