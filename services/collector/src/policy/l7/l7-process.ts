// The L7 proxy as a process of its own: adopted when <state-dir>/l7/proxy.pid names a live proxy of
// this state dir, else started detached (its own session, output appended to proxy.log), so it
// keeps enforcing while the collector is stopped or restarted.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { isL7Proxy, l7Paths, proxyCommand, readPid, writePid } from "@flowlens/l7-contract";

/**
 * The proxy's entry script: @flowlens/l7proxy's dist/index.js. The proxy is a program the collector
 * starts, installed beside it, not a library it imports: only its entry script is looked up here.
 */
export function defaultProxyMain(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@flowlens/l7proxy/package.json")), "dist/index.js");
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The running proxy's pid, if there is one for stateDir. */
export function runningProxy(stateDir: string): number | undefined {
  const pid = readPid(l7Paths(stateDir).pidFile);
  return pid !== undefined && isL7Proxy(pid, stateDir) ? pid : undefined;
}

/**
 * Starts the proxy unless one runs; returns its pid and whether it was started now. `spawned` is the
 * pid this process started last: alive, it counts as running even before it wrote its pid file.
 */
export function ensureProxy(stateDir: string, proxyMain: string, spawned?: number): { pid: number; started: boolean } {
  if (spawned !== undefined && alive(spawned)) return { pid: spawned, started: false };
  const running = runningProxy(stateDir);
  if (running !== undefined) return { pid: running, started: false };
  const paths = l7Paths(stateDir);
  mkdirSync(paths.dir, { recursive: true });
  const out = openSync(paths.logFile, "a");
  try {
    const [file, ...args] = proxyCommand(proxyMain, stateDir).argv; // only the capabilities the proxy uses
    const child = spawn(file, args, { detached: true, stdio: ["ignore", out, out] });
    if (child.pid === undefined) throw new Error(`start ${proxyMain}: no pid (see ${paths.logFile})`);
    child.unref();
    writePid(paths.pidFile, child.pid); // the proxy writes the same; this covers the moments before it runs
    return { pid: child.pid, started: true };
  } finally {
    closeSync(out);
  }
}

/** Stops the proxy of stateDir (SIGTERM, SIGKILL after timeoutMs); true when one was running. */
export async function stopProxy(stateDir: string, timeoutMs = 3000): Promise<boolean> {
  const pid = runningProxy(stateDir);
  if (pid === undefined) return false;
  process.kill(pid, "SIGTERM");
  const until = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  if (alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(l7Paths(stateDir).pidFile, { force: true });
  return true;
}
