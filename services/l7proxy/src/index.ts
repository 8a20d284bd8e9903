// flowlens-l7proxy --state-dir DIR: serves every L7 endpoint named in DIR/l7/config.json until
// SIGTERM/SIGINT. Started detached by the collector, or by hand; one per state directory.
import { mkdirSync } from "node:fs";
import { isL7Proxy, L7PROXY_CAPABILITIES, l7Paths, readPid, removePid, writePid } from "@flowlens/l7-contract";
import { onShutdown, parseFlagsOrExit, reason, runMain } from "@flowlens/runtime";
import { type Capability, missingCapabilities, processCapabilities } from "libbpf-ts";
import { parseL7ProxyArgs, USAGE } from "./flags.js";
import { createLog } from "./log.js";
import { createL7Proxy } from "./proxy.js";

const NAME = "flowlens-l7proxy";
const flags = parseFlagsOrExit(NAME, () => parseL7ProxyArgs(process.argv.slice(2)), USAGE);
const log = createLog(undefined, flags.logLevel);

async function main(): Promise<void> {
  const { stateDir } = flags;
  const caps = processCapabilities();
  const needed = Object.keys(L7PROXY_CAPABILITIES) as Capability[];
  const missing = missingCapabilities(caps, needed);
  if (missing.length > 0) {
    throw new Error(`needs ${needed.join(", ")}; missing: ${missing.map((c) => `${c} (${L7PROXY_CAPABILITIES[c]})`).join(", ")}`);
  }
  const paths = l7Paths(stateDir);
  mkdirSync(paths.dir, { recursive: true });
  const other = readPid(paths.pidFile);
  if (other !== undefined && other !== process.pid && isL7Proxy(other, stateDir))
    throw new Error(`another proxy (pid ${other}) already serves ${stateDir}`);
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

runMain(NAME, main);
