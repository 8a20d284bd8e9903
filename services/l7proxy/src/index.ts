// flowlens-l7proxy --state-dir DIR: serves every L7 endpoint named in DIR/l7/config.json until
// SIGTERM/SIGINT. Started detached by the collector, or by hand; one per state directory.
import { mkdirSync } from "node:fs";
import { onShutdown, reason } from "@flowlens/runtime";
import { type Capability, missingCapabilities, processCapabilities } from "libbpf-ts";
import { l7Paths } from "./config-file.js";
import { type L7ProxyFlags, parseL7ProxyArgs, USAGE } from "./flags.js";
import { createLog } from "./log.js";
import { isL7Proxy, readPid, removePid, writePid } from "./pidfile.js";
import { L7PROXY_CAPABILITIES } from "./privileges.js";
import { createL7Proxy } from "./proxy.js";

const NAME = "flowlens-l7proxy";
const flags = parseFlags();
const log = createLog(undefined, flags.logLevel);

/** Flags, or one line and the usage with exit 2 (0 and the help for --help). */
function parseFlags(): L7ProxyFlags {
  try {
    return parseL7ProxyArgs(process.argv.slice(2));
  } catch (e) {
    if ((e as { code?: string }).code === "commander.helpDisplayed") process.exit(0);
    process.stderr.write(`${NAME}: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

function main(): void {
  const { stateDir } = flags;
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
  process.on("uncaughtException", (e) => log.error(`unexpected error: ${reason(e)}`));
  const proxy = createL7Proxy({ stateDir, log });
  proxy.start();
  log(`flowlens-l7proxy pid ${process.pid} serving ${paths.config}; capabilities ${[...caps.effective].join(", ")}`);
  const extra = [...caps.bounding].filter((c) => !needed.includes(c));
  if (extra.length > 0)
    log(`more capabilities than it uses (${extra.length}: ${extra.join(", ")}); the collector starts it with only ${needed.join(", ")}`);
  onShutdown((sig) => {
    log(`${sig}: stopping (new L7 connections are refused until a proxy runs again)`);
    proxy.close();
    removePid(paths.pidFile);
  });
}

main();
