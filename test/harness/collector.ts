// Runs the real collector daemon and the flowlens CLI as child processes for end-to-end tests.
import { connect, createServer } from "node:net";
import { resolve } from "node:path";
import { type Spawned, spawnBackground } from "./pods.js";
import { type RunResult, run, sleep } from "./run.js";
import { REPO_ROOT } from "./topology.js";

export const COLLECTOR_BIN = resolve(REPO_ROOT, "services/collector/bin/flowlens-collector.js");
export const CLI_BIN = resolve(REPO_ROOT, "services/cli/bin/flowlens.js");

export interface Collector {
  /** "127.0.0.1:<port>", for `--server`. */
  address: string;
  port: number;
  process: Spawned;
  /** Everything the collector printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

const canConnect = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = connect({ host: "127.0.0.1", port });
    s.on("connect", () => {
      s.destroy();
      ok(true);
    });
    s.on("error", () => ok(false));
  });

const running = new Set<Spawned>();
process.on("exit", () => {
  for (const p of running) p.process.kill("SIGKILL");
});

/** Starts flowlens-collector on a free port with extra args; resolves once the port accepts connections. */
export async function startCollector(args: string[], timeoutMs = 20_000): Promise<Collector> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const proc = spawnBackground(["node", COLLECTOR_BIN, "--listen-address", address, ...args]);
  running.add(proc);
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => {
    exitCode = code;
    running.delete(proc);
  });
  const stop = async () => {
    await proc.kill();
    running.delete(proc);
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (exitCode !== undefined) {
      throw new Error(`collector exited (code ${exitCode}) before listening on ${address}: ${proc.output().trim() || "(no output)"}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`collector did not listen on ${address} within ${timeoutMs} ms: ${proc.output().trim() || "(no output)"}`);
    }
    await sleep(100);
  }
  return { address, port, process: proc, output: proc.output, stop };
}

/** Runs `flowlens <args>` to completion (never rejects on a non-zero exit; check code). */
export function runCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return run(["node", CLI_BIN, ...args], {
    allowFail: true,
    timeoutMs: opts.timeoutMs ?? 30_000,
  });
}
