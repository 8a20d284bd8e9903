import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../bin/flowlens-l7proxy.js", import.meta.url));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 10_000 });
  return { code: r.status, stderr: r.stderr };
}

describe("flowlens-l7proxy arguments", () => {
  it("says what is missing, in one line and the usage, for --state-dir without a directory", () => {
    for (const args of [["--state-dir"], ["--state-dir="]]) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^flowlens-l7proxy: --state-dir needs a directory\nusage: flowlens-l7proxy/);
    }
  });

  it("names an unknown argument", () => {
    const r = run("--pin-path", "/x");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flowlens-l7proxy: unknown argument "--pin-path"\n/);
  });
});
