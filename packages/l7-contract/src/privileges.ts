// What the L7 proxy may do while it serves, and how it is started so that it can do no more. It keeps
// two capabilities, both used for as long as it runs (not only to set up): every upstream connection
// and every new L7 endpoint's listener is made inside a pod's netns (setns), and the sockmap and
// ipcache are pinned BPF maps. The collector starts it through setpriv with a bounding set of just
// those, no inheritable or ambient ones and no_new_privs, so every thread of the node process has
// nothing else from its first instruction (capabilities are per thread: dropping later, from
// JavaScript, would leave libuv's and V8's threads with the full set).
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Capability } from "libbpf-ts";

export const L7PROXY_CAPABILITIES: Readonly<Partial<Record<Capability, string>>> = {
  CAP_SYS_ADMIN: "setns into each L7 endpoint's netns: its listeners, and every upstream connection",
  CAP_BPF: "the pinned fl_l7_socks sockmap (listeners registered) and fl_ipcache (client identities)",
};

/** The capabilities the proxy keeps, in setpriv's spelling ("+sys_admin"). */
function setprivCaps(): string {
  return Object.keys(L7PROXY_CAPABILITIES)
    .map((c) => `+${c.slice(4).toLowerCase()}`)
    .join(",");
}

function onPath(bin: string, path = process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"): string | undefined {
  for (const dir of path.split(delimiter)) if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  return undefined;
}

/**
 * argv that runs the proxy with only L7PROXY_CAPABILITIES (setpriv, util-linux). `reduced` is false
 * when setpriv is missing: the proxy then runs with its parent's capabilities and says so in its log.
 */
export function proxyCommand(proxyMain: string, stateDir: string): { argv: string[]; reduced: boolean } {
  const run = [process.execPath, proxyMain, "--state-dir", stateDir];
  const setpriv = onPath("setpriv");
  if (!setpriv) return { argv: run, reduced: false };
  return {
    argv: [
      setpriv,
      "--bounding-set",
      `-all,${setprivCaps()}`,
      "--inh-caps",
      "-all",
      "--ambient-caps",
      "-all",
      "--no-new-privs",
      "--",
      ...run,
    ],
    reduced: true,
  };
}
