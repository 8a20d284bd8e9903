// The real flowlens-api binary for end-to-end tests: started on a free loopback port, killed at the end.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const API_BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../bin/flowlens-api.js");

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => ok(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export interface ApiDaemon {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the binary with flags; resolves once it logs that it listens (rejects with its output if it exits). */
export async function startApi(args: string[]): Promise<ApiDaemon> {
  const port = await freePort();
  const child = spawn(process.execPath, [API_BIN, "--listen-address", `127.0.0.1:${port}`, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FLOWLENS_CLICKHOUSE_PASSWORD: "", FLOWLENS_CLICKHOUSE_READER_PASSWORD: "" },
  });
  let out = "";
  const exited = new Promise<number>((r) => child.once("exit", (code) => r(code ?? -1)));
  await new Promise<void>((ok, fail) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("flowlens-api ") && out.includes(`:${port}/api/v1`)) ok();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    exited.then((code) => fail(new Error(`flowlens-api exited ${code}: ${out.trim()}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
