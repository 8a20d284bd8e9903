// Runs the real collector daemon and the flowlens CLI as child processes for end-to-end tests.
// Every collector gets its own --pin-path and --state-dir (its pinned maps, kept tc filters and
// socket-hook links outlive it by design), removed with `flowlens-collector uninstall` when it stops,
// and its own --admin-socket in a temp directory (never the default /run/flowlens/admin.sock).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { type Spawned, spawnBackground } from "./pods.js";
import { type RunResult, run, runSync, sleep } from "./run.js";
import { REPO_ROOT } from "./topology.js";

export const COLLECTOR_BIN = resolve(REPO_ROOT, "services/collector/bin/flowlens-collector.js");
export const CLI_BIN = resolve(REPO_ROOT, "services/cli/bin/flowlens.js");

export interface Collector {
  /** "127.0.0.1:<port>", for `--server` of read-only commands. */
  address: string;
  /** "unix:<admin socket>", for `--server` of policy apply/delete and endpoint add/delete (as root). */
  adminAddress: string;
  port: number;
  process: Spawned;
  /** Everything the collector printed so far. */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL) and, unless started with a caller's state, uninstalls its pins. */
  stop(): Promise<void>;
  pinPath: string;
  stateDir: string;
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

/** A test collector's pin path and state dir; cleanup() uninstalls and removes both. */
export interface CollectorState {
  pinPath: string;
  stateDir: string;
  /** The collector's admin socket (in a 0700 temp dir of its own). */
  adminSocket: string;
  /** --pin-path, --state-dir and --admin-socket for the collector's command line. */
  args: string[];
  /** Runs `flowlens-collector uninstall` for them (filters, links, pins) and removes the state dir. */
  cleanup(): Promise<void>;
}

const running = new Set<Spawned>();
const states = new Set<CollectorState>();
let stateSeq = 0;

/**
 * Where each test pin path is recorded (file named after the pin dir: owner pid, state dir), so
 * scripts/cleanup.sh removes exactly the pins tests made, and only once their process is gone.
 */
export const PIN_RECORDS_DIR = "/run/flowlens-harness-pins";
/** Test pin paths start with this; production's (the default --pin-path) and the demo's never do. */
export const TEST_PIN_PREFIX = "/sys/fs/bpf/flowlens-test-";

function recordPin(st: { pinPath: string; stateDir: string }): void {
  mkdirSync(PIN_RECORDS_DIR, { recursive: true });
  writeFileSync(join(PIN_RECORDS_DIR, basename(st.pinPath)), `${process.pid}\n${st.stateDir}\n`);
}

function forgetPin(st: { pinPath: string }): void {
  rmSync(join(PIN_RECORDS_DIR, basename(st.pinPath)), { force: true });
}

function uninstallArgv(st: { pinPath: string; stateDir: string }): string[] {
  return ["node", COLLECTOR_BIN, "uninstall", "--pin-path", st.pinPath, "--state-dir", st.stateDir];
}

process.on("exit", () => {
  for (const p of running) p.process.kill("SIGKILL");
  for (const st of states) {
    runSync(uninstallArgv(st));
    if (!existsSync(st.pinPath)) forgetPin(st);
    rmSync(st.stateDir, { recursive: true, force: true });
    rmSync(dirname(st.adminSocket), { recursive: true, force: true });
  }
});

/**
 * A fresh --pin-path (under /sys/fs/bpf, unique to this process) and --state-dir (a temp dir). Pass
 * the same state to several collectors to test a restart that adopts the pinned state; call cleanup()
 * (also done at process exit) when the last one stopped.
 */
export function collectorState(): CollectorState {
  const pinPath = `${TEST_PIN_PREFIX}${process.pid}-${++stateSeq}`;
  const stateDir = mkdtempSync(join(tmpdir(), "flowlens-state-"));
  // mkdtemp makes the directory 0700, as the collector requires of its admin socket's directory.
  const adminSocket = join(mkdtempSync(join(tmpdir(), "flowlens-admin-")), "admin.sock");
  const st: CollectorState = {
    pinPath,
    stateDir,
    adminSocket,
    args: ["--pin-path", pinPath, "--state-dir", stateDir, "--admin-socket", adminSocket],
    async cleanup() {
      if (!states.delete(st)) return;
      const r = await run(uninstallArgv(st), { allowFail: true, timeoutMs: 30_000 });
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(dirname(adminSocket), { recursive: true, force: true });
      if (r.code === 0) forgetPin(st);
      if (r.code !== 0) throw new Error(`flowlens-collector uninstall --pin-path ${pinPath} failed: ${r.stderr.trim()}`);
    },
  };
  states.add(st);
  recordPin(st);
  return st;
}

/**
 * Starts flowlens-collector on a free port with extra args; resolves once the port accepts
 * connections. With opts.state the collector uses that pin path and state dir and the caller cleans
 * up; without, it gets its own, uninstalled by stop().
 */
export async function startCollector(
  args: string[],
  timeoutMs = 20_000,
  opts: { state?: CollectorState /** argv run in front of node, e.g. setpriv with a capability set */; wrap?: string[] } = {},
): Promise<Collector> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const own = opts.state ? undefined : collectorState();
  const state = opts.state ?? (own as CollectorState);
  const proc = spawnBackground([...(opts.wrap ?? []), "node", COLLECTOR_BIN, "--listen-address", address, ...state.args, ...args]);
  running.add(proc);
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => {
    exitCode = code;
    running.delete(proc);
  });
  const stop = async () => {
    await proc.kill();
    running.delete(proc);
    await own?.cleanup();
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (exitCode !== undefined) {
      await own?.cleanup();
      throw new Error(`collector exited (code ${exitCode}) before listening on ${address}: ${proc.output().trim() || "(no output)"}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`collector did not listen on ${address} within ${timeoutMs} ms: ${proc.output().trim() || "(no output)"}`);
    }
    await sleep(100);
  }
  return {
    address,
    adminAddress: `unix:${state.adminSocket}`,
    port,
    process: proc,
    output: proc.output,
    stop,
    pinPath: state.pinPath,
    stateDir: state.stateDir,
  };
}

/** Runs `flowlens <args>` to completion (never rejects on a non-zero exit; check code). */
export function runCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return run(["node", CLI_BIN, ...args], {
    allowFail: true,
    timeoutMs: opts.timeoutMs ?? 30_000,
  });
}
