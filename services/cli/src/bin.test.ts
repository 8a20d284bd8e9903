// The built `flowlens` binary as a user runs it: one-line errors, exit codes, Ctrl-C and a closed pipe.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, spawnCli } from "./testkit.js";
import { type FakeServer, sampleFlow, startFakeServer } from "./testkit-server.js";

let fake: FakeServer;
let pusher: NodeJS.Timeout;
beforeAll(async () => {
  if (!existsSync(new URL("../dist/index.js", import.meta.url))) throw new Error("build the CLI first: npm run build -w @flowlens/cli");
  fake = await startFakeServer([sampleFlow(1)]);
  let n = 100;
  pusher = setInterval(() => fake.push(sampleFlow(n++)), 5);
});
afterAll(async () => {
  clearInterval(pusher);
  await fake?.close();
});

/** A local port with nothing listening. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
}

describe("flowlens binary", () => {
  it("bad values are usage errors: exit 2 and one line", async () => {
    for (const [args, pattern] of [
      [["observe", "--from-ip", "10.0.0.300"], /^flowlens observe: invalid --from-ip "10\.0\.0\.300": not an IP address or CIDR/],
      [["observe", "--port", "abc"], /^flowlens observe: invalid --port "abc"/],
      [["observe", "--verdict", "NOPE"], /^flowlens observe: unknown --verdict "NOPE": use one of FORWARDED, DROPPED/],
      [["observe", "-o", "yaml"], /^flowlens observe: unknown --output "yaml": use one of compact, dict, json, jsonpb, table/],
      [["observe", "--no-such-flag"], /^flowlens observe: unknown option '--no-such-flag' \(see 'flowlens observe --help'\)$/],
      [["teleport"], /^flowlens: unknown command 'teleport' \(see 'flowlens --help'\)$/],
    ] as const) {
      const r = await spawnCli([...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expectOneLine(r.stderr, pattern);
    }
  });

  it("an unreachable server is a runtime error: exit 1, one line that says what to do", async () => {
    const port = await freePort();
    const r = await spawnCli(["observe", "--server", `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expectOneLine(
      r.stderr,
      new RegExp(
        `^flowlens observe: cannot connect to 127\\.0\\.0\\.1:${port}: connection refused — is the relay or collector running\\? use --server`,
      ),
    );
  });

  it("the default server is localhost:4245 (or $FLOWLENS_SERVER)", async () => {
    const port = await freePort();
    const r = await spawnCli(["status"], { FLOWLENS_SERVER: `localhost:${port}` });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, new RegExp(`cannot connect to localhost:${port}: `));
  });

  it("a server that is not gRPC fails within the connect timeout", async () => {
    const srv = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      // The test timeout catches a hang; bench/cpu-bounds.ts measures how long giving up takes.
      const r = await spawnCli(["list", "nodes", "--server", `127.0.0.1:${port}`, "--timeout", "1s"]);
      expect(r.code).toBe(1);
      expectOneLine(r.stderr, new RegExp(`^flowlens list nodes: cannot connect to 127\\.0\\.0\\.1:${port}: `));
    } finally {
      srv.close();
    }
  });

  it("prints flows and exits 0", async () => {
    const r = await spawnCli(["observe", "--server", fake.address, "-o", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim()).flow.uuid).toBe("uuid-1");
  });

  it("Ctrl-C during --follow exits 0 quietly", async () => {
    const child = spawn(process.execPath, [BIN, "observe", "--server", fake.address, "-f"]);
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.split("\n").length > 3) resolve();
      }),
    );
    const code = await new Promise<number | null>((resolve) => {
      child.on("close", resolve);
      child.kill("SIGINT");
    });
    expect(code).toBe(0);
    expect(err).toBe("");
  });

  it("a closed pipe (`flowlens observe -f | head -n 2`) exits 0 quietly", async () => {
    const script = `set -o pipefail; "${process.execPath}" "${BIN}" observe --server ${fake.address} -f | head -n 2`;
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn("bash", ["-c", script]);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(2);
  });

  it("output to a reader that already left exits 0 without a stack trace", async () => {
    for (const args of [
      ["observe", "--help"],
      ["status", "--server", fake.address],
      ["observe", "--server", fake.address],
    ]) {
      const child = spawn(process.execPath, [BIN, ...args]);
      child.stdout.destroy(); // the reading end is gone before the CLI writes
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(err, args.join(" ")).toBe("");
      expect(code, args.join(" ")).toBe(0);
    }
  });
});
