// `flowlens-collector uninstall`: removes what a collector leaves in force on purpose — the tc
// filters of its endpoints (listed in the pinned fl_endpoints), the pinned socket-hook and other
// links, and every pin under the pin path. Hooks run first (the L7 proxy stops there).
import { existsSync, readdirSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { BpfMap, Link } from "libbpf-ts";
import { TC_HANDLE, TC_PRIORITY } from "./datapath.js";
import { linksDir } from "./pins.js";

export interface UninstallContext {
  pinPath: string;
  stateDir: string;
  log(msg: string): void;
}

/** A step of another part of Flowlens that must run before the kernel state goes. */
export type UninstallStep = (ctx: UninstallContext) => void | Promise<void>;

export interface UninstallReport {
  /** tc filters removed (two per endpoint interface that still existed). */
  filters: number;
  links: number;
  /** Pinned maps and other files removed. */
  pins: number;
}

/** ifindexes of the endpoints whose tc filters the collector kept. */
function endpointIfindexes(pinPath: string): number[] {
  const path = `${pinPath}/fl_endpoints`;
  if (!existsSync(path)) return [];
  const map = BpfMap.openPinned(path);
  try {
    return [...map.keys()].map((k) => k.readUInt32LE(0));
  } finally {
    map.close();
  }
}

export async function uninstall(ctx: UninstallContext, hooks: UninstallStep[] = []): Promise<UninstallReport> {
  const report: UninstallReport = { filters: 0, links: 0, pins: 0 };
  for (const step of hooks) await step(ctx);
  if (!existsSync(ctx.pinPath)) {
    ctx.log(`nothing pinned at ${ctx.pinPath}`);
    return report;
  }
  for (const ifindex of endpointIfindexes(ctx.pinPath))
    for (const dir of ["ingress", "egress"] as const)
      if (Link.detachTc(ifindex, dir, { handle: TC_HANDLE, priority: TC_PRIORITY })) report.filters++;
  const links = linksDir(ctx.pinPath);
  if (existsSync(links)) {
    for (const name of readdirSync(links)) {
      const path = `${links}/${name}`;
      try {
        Link.openPinned(path).detach();
        report.links++;
      } catch (e) {
        ctx.log(`${path}: ${(e as Error).message}; removing the pin`);
        unlinkSync(path);
      }
    }
  }
  report.pins = removeTree(ctx.pinPath);
  ctx.log(`uninstalled: ${report.filters} tc filters, ${report.links} links, ${report.pins} pins under ${ctx.pinPath} removed`);
  return report;
}

/** Removes a bpffs directory tree (files are pins: unlinking drops our reference). */
function removeTree(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const path = `${dir}/${name}`;
    if (statSync(path).isDirectory()) n += removeTree(path);
    else {
      unlinkSync(path);
      n++;
    }
  }
  rmdirSync(dir);
  return n;
}
