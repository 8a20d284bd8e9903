// Real-kernel tests of cleanup at process end: tc filters and our clsact go away on exit, SIGINT and SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BpfObject } from "../lib/index.js";
import { buildFixture } from "./fixture.js";
import { createVethNetns, ensureMounts, hasClsact, run, tcFilters, tryRun, type VethNetns } from "./system.js";

const child = join(fileURLToPath(new URL(".", import.meta.url)), "fixtures", "attach-child.mjs");
let objectPath: string;
let veth: VethNetns;

beforeAll(() => {
  ensureMounts();
  objectPath = buildFixture();
  veth = createVethNetns(`x${process.pid % 10000}`);
});

afterAll(() => veth?.remove());

function start(mode: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [child, objectPath, String(veth.hostIfindex), mode], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let stderr = "";
    proc.stderr?.on("data", (d) => {
      stderr += d;
    });
    proc.stdout?.on("data", (d) => {
      if (String(d).includes("attached")) resolve(proc);
    });
    proc.on("exit", (code) => reject(new Error(`child exited with ${code} before attaching: ${stderr}`)));
  });
}

function ended(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
}

describe("cleanup when the process ends", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`detaches on ${signal} and still dies of the signal`, async () => {
      const proc = await start("wait");
      expect(tcFilters(veth.host, "ingress")).toMatch(/lbt_tc/);
      proc.kill(signal);
      expect(await ended(proc)).toEqual({ code: null, signal });
      expect(tcFilters(veth.host, "ingress")).not.toMatch(/lbt_tc/);
      expect(hasClsact(veth.host)).toBe(false);
    });
  }

  it("detaches when the event loop runs dry", async () => {
    const proc = await start("exit");
    expect(await ended(proc)).toEqual({ code: 0, signal: null });
    expect(tcFilters(veth.host, "ingress")).not.toMatch(/lbt_tc/);
    expect(hasClsact(veth.host)).toBe(false);
  });

  it("leaves SIGTERM to an application handler that calls closeAll()", async () => {
    const proc = await start("own-handler");
    proc.kill("SIGTERM");
    expect(await ended(proc)).toEqual({ code: 0, signal: null });
    expect(tcFilters(veth.host, "ingress")).not.toMatch(/lbt_tc/);
  });

  it("replaces the stale filter of a killed process (same handle and priority)", async () => {
    const proc = await start("wait");
    proc.kill("SIGKILL");
    await ended(proc);
    try {
      expect(tcFilters(veth.host, "ingress")).toMatch(/lbt_tc/); // SIGKILL leaves it behind
      const obj = BpfObject.open(objectPath);
      try {
        obj.load();
        obj.program("lbt_tc").attachTc(veth.hostIfindex, "ingress", { handle: 9, priority: 9 });
        const ours = tcFilters(veth.host, "ingress")
          .split("\n")
          .filter((line) => line.includes("lbt_tc"));
        expect(ours).toHaveLength(1);
      } finally {
        obj.close();
      }
      expect(tcFilters(veth.host, "ingress")).not.toMatch(/lbt_tc/);
      expect(hasClsact(veth.host)).toBe(true); // the dead process created it; not ours to delete
    } finally {
      tryRun("tc", ["qdisc", "del", "dev", veth.host, "clsact"]);
    }
    expect(run("tc", ["qdisc", "show", "dev", veth.host])).not.toMatch(/clsact/);
  });
});
