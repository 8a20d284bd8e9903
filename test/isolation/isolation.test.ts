// Tests, benches and the demo never touch the production pin path or state dir; cleanup removes only
// what tests and the demo made; the demo refuses pins that are not its own.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectorState, PIN_RECORDS_DIR, TEST_PIN_PREFIX } from "@flowlens/test-harness/collector";
import { run } from "@flowlens/test-harness/run";
import { REPO_ROOT } from "@flowlens/test-harness/topology";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_PIN_PATH, DEFAULT_STATE_DIR } from "../../services/collector/dist/config.js";
import { isTestFile, PRODUCTION_PATH, productionPathHits } from "./production-paths.js";

/** A pid that is certainly not running: a child that already exited. */
async function deadPid(): Promise<number> {
  const r = await run(["bash", "-c", "sh -c 'echo $$'"]);
  return Number(r.stdout.trim());
}

describe("production paths", () => {
  it("no test, bench or demo file names the production pin path or state dir", () => {
    const { hits, scanned } = productionPathHits(REPO_ROOT);
    expect(scanned).toBeGreaterThan(100); // the walk really found the suites
    expect(hits.map((h) => `${h.file}:${h.line}: ${h.text}`)).toEqual([]);
  });

  it("the check tells production paths from test ones and test files from the product", () => {
    for (const s of [
      `pin: "${DEFAULT_PIN_PATH}"`,
      `${DEFAULT_PIN_PATH}/fl_policy`,
      `--state-dir ${DEFAULT_STATE_DIR}`,
      `${DEFAULT_STATE_DIR}/l7`,
    ])
      expect(s).toMatch(PRODUCTION_PATH);
    for (const s of [`${TEST_PIN_PREFIX}1-2`, `${DEFAULT_PIN_PATH}-demo`, `${DEFAULT_STATE_DIR}_x`, "/run/flowlens-fld"])
      expect(s).not.toMatch(PRODUCTION_PATH);
    for (const f of [
      "test/policy/restart.test.ts",
      "bench/lib/env.ts",
      "services/l7proxy/test/fixture.ts",
      "scripts/demo.sh",
      "packages/clickhouse/src/testkit.ts",
    ])
      expect(isTestFile(f)).toBe(true);
    for (const f of ["services/collector/src/config.ts", "scripts/setup.sh", "README.md"]) expect(isTestFile(f)).toBe(false);
  });
});

describe("harness pin records", () => {
  it("records each test pin path with its owner until it is cleaned up", async () => {
    const st = collectorState();
    expect(st.pinPath.startsWith(TEST_PIN_PREFIX)).toBe(true);
    const rec = join(PIN_RECORDS_DIR, st.pinPath.slice("/sys/fs/bpf/".length));
    expect(readFileSync(rec, "utf8")).toBe(`${process.pid}\n${st.stateDir}\n`);
    await st.cleanup();
    expect(existsSync(rec)).toBe(false);
  });
});

describe("scripts/cleanup-pins.sh", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("removes dead tests' and the stopped demo's pins, never production's, a live test's or an unmarked demo dir", async () => {
    const base = mkdtempSync(join(tmpdir(), "flowlens-iso-"));
    dirs.push(base);
    const bpffs = join(base, "bpf");
    const records = join(base, "records");
    const demoState = join(base, "demo");
    const dead = await deadPid();
    for (const d of [
      "flowlens", // production
      "flowlens/fl_policy",
      `flowlens-test-${dead}-1`, // recorded, owner gone
      `flowlens-test-${dead}-2`, // unrecorded, owner gone
      `flowlens-test-${process.pid}-7`, // recorded, owner alive
      "flowlens-demo/owned-by-flowlens-demo", // the demo's, its collector gone
      "flowlens-demo-other", // no marker: not the demo's
      "other",
    ])
      mkdirSync(join(bpffs, d), { recursive: true });
    mkdirSync(records);
    mkdirSync(demoState);
    const deadState = mkdtempSync(join(tmpdir(), "flowlens-state-"));
    dirs.push(deadState);
    writeFileSync(join(records, `flowlens-test-${dead}-1`), `${dead}\n${deadState}\n`);
    writeFileSync(join(records, `flowlens-test-${process.pid}-7`), `${process.pid}\n/tmp/flowlens-state-live\n`);
    writeFileSync(join(demoState, "pin-path"), "/sys/fs/bpf/flowlens-demo\n");
    writeFileSync(join(demoState, "collector.pid"), `${dead}\n`);
    const r = await run(["bash", join(REPO_ROOT, "scripts/cleanup-pins.sh")], {
      env: { ...process.env, FLOWLENS_BPFFS: bpffs, FLOWLENS_PIN_RECORDS: records, FLOWLENS_DEMO_STATE: demoState },
    });
    expect(r.code).toBe(0);
    const left = (d: string) => existsSync(join(bpffs, d));
    expect(left("flowlens/fl_policy")).toBe(true);
    expect(left(`flowlens-test-${process.pid}-7`)).toBe(true);
    expect(existsSync(join(records, `flowlens-test-${process.pid}-7`))).toBe(true);
    expect(left("flowlens-demo-other")).toBe(true);
    expect(left("other")).toBe(true);
    expect(left(`flowlens-test-${dead}-1`)).toBe(false);
    expect(existsSync(join(records, `flowlens-test-${dead}-1`))).toBe(false);
    expect(existsSync(deadState)).toBe(false);
    expect(left(`flowlens-test-${dead}-2`)).toBe(false);
    expect(left("flowlens-demo")).toBe(false);
  });

  it("keeps the demo's pins while its collector runs", async () => {
    const base = mkdtempSync(join(tmpdir(), "flowlens-iso-"));
    dirs.push(base);
    mkdirSync(join(base, "bpf/flowlens-demo/owned-by-flowlens-demo"), { recursive: true });
    mkdirSync(join(base, "demo"));
    writeFileSync(join(base, "demo/collector.pid"), `${process.pid}\n`);
    const r = await run(["bash", join(REPO_ROOT, "scripts/cleanup-pins.sh")], {
      env: {
        ...process.env,
        FLOWLENS_BPFFS: join(base, "bpf"),
        FLOWLENS_PIN_RECORDS: join(base, "none"),
        FLOWLENS_DEMO_STATE: join(base, "demo"),
      },
      timeoutMs: 15_000,
    });
    expect(r.code).toBe(0);
    expect(existsSync(join(base, "bpf/flowlens-demo/owned-by-flowlens-demo"))).toBe(true);
  });
});

describe("scripts/demo.sh pin path", () => {
  const demo = (pin: string) =>
    run(["bash", join(REPO_ROOT, "scripts/demo.sh")], {
      env: { ...process.env, FLOWLENS_SKIP_SETUP: "1", FLOWLENS_DEMO_PIN_PATH: pin },
      allowFail: true,
      timeoutMs: 15_000,
    });

  it("refuses a pin path that is not a demo one, the production one included, before touching anything", async () => {
    for (const pin of [DEFAULT_PIN_PATH, "/sys/fs/bpf/mine"]) {
      const r = await demo(pin);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([
        `demo: pin path ${pin} is not a demo pin path (/sys/fs/bpf/flowlens-demo[-NAME]); refusing to use it`,
      ]);
    }
  });

  it("adopts a pin dir it claimed itself (a crashed demo's), and only that one", async () => {
    const pin = `/sys/fs/bpf/flowlens-demo-iso${process.pid}c`;
    const lib = join(REPO_ROOT, "scripts/demo-pins.sh");
    try {
      const before = await run(["bash", "-c", `source ${lib}; demo_pins_refusal ${pin}`], { allowFail: true });
      expect(before).toMatchObject({ code: 0, stdout: "" }); // not there yet: the demo may create it
      await run(["bash", "-c", `source ${lib}; demo_pins_claim ${pin}`]);
      expect(existsSync(join(pin, "owned-by-flowlens-demo"))).toBe(true);
      const after = await run(["bash", "-c", `source ${lib}; demo_pins_refusal ${pin}`], { allowFail: true });
      expect(after).toMatchObject({ code: 0, stdout: "" });
    } finally {
      rmSync(pin, { recursive: true, force: true });
    }
  });

  it("refuses to adopt an existing pin dir without the demo's marker and leaves it as it was", async () => {
    const pin = `/sys/fs/bpf/flowlens-demo-iso${process.pid}`;
    mkdirSync(join(pin, "links"), { recursive: true }); // stands for another collector's pins
    try {
      const r = await demo(pin);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(
        `demo: ${pin} holds pins that are not the demo's (no owned-by-flowlens-demo marker); refusing to adopt them`,
      );
      expect(existsSync(join(pin, "links"))).toBe(true);
      expect(existsSync(join(pin, "owned-by-flowlens-demo"))).toBe(false);
    } finally {
      rmSync(pin, { recursive: true, force: true });
    }
  });
});
