// Start-up fails closed: a damaged persisted policy or --policies file holds the last good set (the
// maps are written with that set again, or not at all when there is none), health names the source,
// API changes that leave it damaged are refused, and the change that fixes it ends the hold.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyFiles } from "./policy-files.js";
import { PolicyHeldError, type PolicyInstaller, PolicyStore, type StoredPolicy } from "./store.js";
import { cnp } from "./testkit.js";

class FakeInstaller implements PolicyInstaller {
  recorded: readonly StoredPolicy[] = [];
  /** While set, prepare fails as a compile error does. */
  reject: string | undefined;
  prepare(set: readonly StoredPolicy[]) {
    if (this.reject) return { ok: false as const, errors: [{ source: "", path: "", message: this.reject }] };
    return {
      ok: true as const,
      install: () => {
        this.recorded = [...set];
      },
    };
  }
}

/** `name@port` of each policy, sorted. */
const names = (set: readonly StoredPolicy[]) =>
  set.map((s) => `${s.policy.ref.name}@${s.policy.text.includes('port: "8080"') ? 8080 : 80}`).sort();

/** The engine's side of enforce(): what start() found recorded (the set it writes), and what hold() was given. */
function engineSide(inst?: FakeInstaller) {
  const e = { started: 0, wrote: undefined as string[] | undefined, held: undefined as string[] | undefined };
  return {
    e,
    start: () => {
      e.started++;
      e.wrote = inst ? names(inst.recorded) : undefined;
    },
    hold: (set: readonly StoredPolicy[]) => {
      e.held = names(set);
    },
  };
}

let dir: string;
let logs: string[];
const log = (m: string) => logs.push(m);
const store = (inst = new FakeInstaller()) => new PolicyStore({ dir: join(dir, "policies"), installer: inst, log });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flowlens-p8-held-"));
  logs = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A first run: `one` and `two` applied and enforced; returns the path of one's persisted file. */
function firstRun(): string {
  const s = store();
  const side = engineSide();
  s.enforce(side.start, side.hold);
  expect(s.apply([{ source: "a", text: `${cnp("one")}---\n${cnp("two", { port: 8080 })}` }]).errors).toEqual([]);
  return join(dir, "policies", "cnp_default_one.yaml");
}

describe("fail-closed start", () => {
  it("a healthy start enforces and keeps the set as the last good one", () => {
    firstRun();
    const s = store();
    const side = engineSide();
    s.load();
    s.enforce(side.start, side.hold);
    expect(side.e.started).toBe(1);
    expect(s.health.ok).toBe(true);
    const lastGood = JSON.parse(readFileSync(join(dir, "policies", ".last-good.json"), "utf8"));
    expect(lastGood.map((e: { origin: string }) => e.origin)).toEqual(["api", "api"]);
  });

  it("a damaged persisted file holds the last good set, names the file, and refuses changes that leave it", () => {
    const one = firstRun();
    writeFileSync(one, "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nspec: [\n");
    const inst = new FakeInstaller();
    const s = store(inst);
    const side = engineSide(inst);
    s.load();
    s.enforce(side.start, side.hold);
    // The maps are written with the last good set (not `two` alone), so new endpoints follow it too.
    expect(side.e.started).toBe(1);
    expect(side.e.wrote).toEqual(["one@80", "two@8080"]);
    expect(side.e.held).toBeUndefined();
    expect(s.holding).toBe(true);
    expect(s.health.list()).toEqual([{ source: one, message: expect.stringContaining(one), count: expect.any(Number) }]);
    expect(logs.find((l) => l.startsWith(`policy enforcement held at the last good set: ${one}`))).toBeDefined();
    // The damaged policy is listed as its last good version.
    expect(s.get("one", "default")?.policy.text).toBe(cnp("one"));

    const other = s.apply([{ source: "b", text: cnp("three") }]);
    expect(other.errors.map((e) => e.source)).toEqual([one]);
    expect(other.errors[0].message).toMatch(
      /^the node enforces its last good policies until this is fixed: .*cnp_default_one.yaml:\d+: YAML: .+; apply a good version of its policy/,
    );
    expect(s.get("three", "default")).toBeUndefined();
    expect(names(inst.recorded)).toEqual(["one@80", "two@8080"]);

    // The same text as the last good version still rewrites the damaged file and ends the hold.
    expect(s.apply([{ source: "c", text: cnp("one") }]).errors).toEqual([]);
    expect(s.health.ok).toBe(true);
    expect(s.holding).toBe(false);
    expect(readFileSync(one, "utf8")).toContain("name: one");
    expect(s.apply([{ source: "b", text: cnp("three") }]).errors).toEqual([]);
  });

  it("deleting the damaged policy also ends the hold", () => {
    const one = firstRun();
    writeFileSync(one, "{{{");
    const s = store();
    const side = engineSide();
    s.load();
    s.enforce(side.start, side.hold);
    expect(s.delete("one", "default")?.policy.ref.name).toBe("one");
    expect(s.holding).toBe(false);
    expect(s.health.ok).toBe(true);
    expect(s.list().map((p) => p.policy.ref.name)).toEqual(["two"]);
  });

  it("deleting another policy while held is refused as a precondition, naming the damaged file", () => {
    const one = firstRun();
    writeFileSync(one, "{{{");
    const s = store();
    const side = engineSide();
    s.load();
    s.enforce(side.start, side.hold);
    expect(() => s.delete("two", "default")).toThrow(PolicyHeldError);
    expect(() => s.delete("two", "default")).toThrow(/enforces its last good policies until this is fixed: .*cnp_default_one.yaml/);
    expect(s.holding).toBe(true);
    expect(
      s
        .list()
        .map((p) => p.policy.ref.name)
        .sort(),
    ).toEqual(["one", "two"]);
  });

  it("a --policies file that does not parse at start holds until it is fixed", () => {
    const s0 = store();
    const f = join(dir, "node.yaml");
    writeFileSync(f, cnp("from-file"));
    const side0 = engineSide();
    new PolicyFiles(f, s0, log).load();
    s0.enforce(side0.start, side0.hold);

    writeFileSync(f, "kind: CiliumNetworkPolicy\nmetadata: {name: from-file\n");
    const inst = new FakeInstaller();
    const s = store(inst);
    const side = engineSide(inst);
    const files = new PolicyFiles(f, s, log);
    expect(files.load()).toBe(false);
    s.enforce(side.start, side.hold);
    expect(side.e.wrote).toEqual(["from-file@80"]);
    expect(s.holding).toBe(true);
    expect(s.health.list().map((p) => p.source)).toEqual([f]);
    expect(s.get("from-file", "default")?.origin).toBe(f);

    writeFileSync(f, cnp("from-file", { port: 8080 }));
    expect(files.load()).toBe(true);
    expect(s.holding).toBe(false);
    expect(names(inst.recorded)).toEqual(["from-file@8080"]);
    expect(s.health.ok).toBe(true);
    expect(s.get("from-file", "default")?.policy.text).toContain('"8080"');
  });

  it("a set that no longer compiles at start holds until a change compiles", () => {
    firstRun();
    const inst = new FakeInstaller();
    inst.reject = "too many CIDR identities";
    const s = store(inst);
    const side = engineSide(inst);
    s.load();
    s.enforce(side.start, side.hold);
    // The last good set does not compile either: nothing is written, the pinned maps stay.
    expect(side.e.started).toBe(0);
    expect(side.e.held).toEqual(["one@80", "two@8080"]);
    expect(s.health.list()).toEqual([
      { source: join(dir, "policies"), message: expect.stringContaining("too many CIDR identities"), count: 1 },
    ]);
    expect(s.apply([{ source: "d", text: cnp("three") }]).errors.map((e) => e.message)).toEqual(["too many CIDR identities"]);
    inst.reject = undefined;
    expect(s.apply([{ source: "d", text: cnp("three") }]).errors).toEqual([]);
    expect(side.e.started).toBe(1);
    expect(s.health.ok).toBe(true);
    expect(inst.recorded.map((p) => p.policy.ref.name).sort()).toEqual(["one", "three", "two"]);
  });

  it("without a last good set (an older state dir) nothing is written; the policies that parse are listed", () => {
    const one = firstRun();
    writeFileSync(one, "{{{");
    rmSync(join(dir, "policies", ".last-good.json"));
    const inst = new FakeInstaller();
    const s = store(inst);
    const side = engineSide(inst);
    s.load();
    s.enforce(side.start, side.hold);
    expect(side.e.started).toBe(0);
    expect(side.e.held).toEqual(["two@8080"]);
    expect(s.list().map((p) => p.policy.ref.name)).toEqual(["two"]);
    expect(logs.at(-1)).toMatch(/no last good set to enforce, the pinned maps stay as they are/);
    expect(s.apply([{ source: "c", text: cnp("one") }]).errors).toEqual([]);
    expect(side.e.started).toBe(1);
    expect(side.e.wrote).toEqual(["one@80", "two@8080"]);
  });

  it("a file that becomes unreadable while enforcing turns health bad until it is back", () => {
    const f = join(dir, "node.yaml");
    writeFileSync(f, cnp("from-file"));
    const s = store();
    const side = engineSide();
    const files = new PolicyFiles(f, s, log);
    files.load();
    s.enforce(side.start, side.hold);
    rmSync(f);
    expect(files.load()).toBe(false);
    expect(s.health.ok).toBe(false);
    expect(s.holding).toBe(false);
    writeFileSync(f, cnp("from-file"));
    expect(files.load()).toBe(true);
    expect(s.health.ok).toBe(true);
  });
});
