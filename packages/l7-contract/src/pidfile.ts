// The proxy's pid file, and how the collector (or a second proxy) tells that a pid is the proxy of a
// given state directory — a recycled pid must not be adopted or signalled.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePid(file: string, pid = process.pid): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${pid}\n`);
  renameSync(tmp, file);
}

/** Removes the pid file when it still names pid. */
export function removePid(file: string, pid = process.pid): void {
  if (readPid(file) === pid) rmSync(file, { force: true });
}

/** True when pid is alive and runs the L7 proxy with --state-dir stateDir. */
export function isL7Proxy(pid: number, stateDir: string): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return false;
  }
  if (!argv.some((a) => /l7proxy/.test(a))) return false;
  const want = resolve(stateDir);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--state-dir" && argv[i + 1] !== undefined && resolve(argv[i + 1]) === want) return true;
    if (argv[i].startsWith("--state-dir=") && resolve(argv[i].slice(12)) === want) return true;
  }
  return false;
}
