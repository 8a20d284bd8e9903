// flowlens-l7proxy --state-dir DIR: serves every L7 endpoint named in DIR/l7/config.json until
// SIGTERM/SIGINT. Started detached by the collector, or by hand; one per state directory.
import { mkdirSync } from "node:fs";
import { isL7Proxy, L7PROXY_CAPABILITIES, l7Paths, readPid, removePid, writePid } from "@flowlens/l7-contract";
import { type Capability, missingCapabilities, processCapabilities } from "libbpf-ts";
import { createLog, reason } from "./log.js";
import { createL7Proxy } from "./proxy.js";

const USAGE = "usage: flowlens-l7proxy [--state-dir DIR]   (default /var/lib/flowlens)";
const log = createLog();

function parseArgs(argv: string[]): { stateDir: string } {
  let stateDir = "/var/lib/flowlens";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--state-dir" || a.startsWith("--state-dir=")) {
      const v = a === "--state-dir" ? argv[++i] : a.slice(12);
      if (!v) {
        process.stderr.write(`flowlens-l7proxy: --state-dir needs a directory\n${USAGE}\n`);
        process.exit(2);
      }
      stateDir = v;
    } else if (a === "-h" || a === "--help") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      process.stderr.write(`flowlens-l7proxy: unknown argument "${a}"\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return { stateDir };
}

function main(): void {
  const { stateDir } = parseArgs(process.argv.slice(2));
  const caps = processCapabilities();
  const needed = Object.keys(L7PROXY_CAPABILITIES) as Capability[];
  const missing = missingCapabilities(caps, needed);
  if (missing.length > 0) {
    process.stderr.write(
      `flowlens-l7proxy: needs ${needed.join(", ")}; missing: ${missing.map((c) => `${c} (${L7PROXY_CAPABILITIES[c]})`).join(", ")}\n`,
    );
    process.exit(1);
  }
  const paths = l7Paths(stateDir);
  mkdirSync(paths.dir, { recursive: true });
  const other = readPid(paths.pidFile);
  if (other !== undefined && other !== process.pid && isL7Proxy(other, stateDir)) {
    process.stderr.write(`flowlens-l7proxy: another proxy (pid ${other}) already serves ${stateDir}\n`);
    process.exit(1);
  }
  writePid(paths.pidFile);
  // A bug in one request must not take enforcement down for every endpoint.
  process.on("uncaughtException", (e) => log(`unexpected error: ${reason(e)}`));
  const proxy = createL7Proxy({ stateDir, log });
  proxy.start();
  log(`flowlens-l7proxy pid ${process.pid} serving ${paths.config}; capabilities ${[...caps.effective].join(", ")}`);
  const extra = [...caps.bounding].filter((c) => !needed.includes(c));
  if (extra.length > 0)
    log(`more capabilities than it uses (${extra.length}: ${extra.join(", ")}); the collector starts it with only ${needed.join(", ")}`);
  const stop = (sig: string) => {
    log(`${sig}: stopping (new L7 connections are refused until a proxy runs again)`);
    proxy.close();
    removePid(paths.pidFile);
    process.exit(0);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main();
