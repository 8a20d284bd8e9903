// The capabilities the collector needs, each with why, checked at start instead of uid 0: a
// collector run by systemd with exactly these (AmbientCapabilities=) works, and one missing any is
// told which, in one line.
import { type Capability, missingCapabilities, type ProcessCapabilities, processCapabilities } from "libbpf-ts";

export const COLLECTOR_CAPABILITIES: Readonly<Partial<Record<Capability, string>>> = {
  CAP_BPF: "load the BPF programs, create and pin the maps, read the ring buffer",
  CAP_PERFMON: "attach the tracepoint programs (sock, skb, tcp) and let them read kernel memory",
  CAP_NET_ADMIN: "tc clsact filters on endpoint veths, sk_lookup links in pod netns, cgroup socket hooks",
  CAP_SYS_ADMIN: "enter pod netns (endpoint addresses, and the L7 proxy it starts), mount bpffs/tracefs when missing",
};

/** What `flowlens-collector uninstall` needs: detach tc filters and links, unpin. */
export const UNINSTALL_CAPABILITIES: readonly Capability[] = ["CAP_BPF", "CAP_NET_ADMIN"];

/** Throws one line naming every missing capability (and what it is for). */
export function requireCapabilities(
  needed: readonly Capability[] = Object.keys(COLLECTOR_CAPABILITIES) as Capability[],
  have: ProcessCapabilities = processCapabilities(),
): void {
  const missing = missingCapabilities(have, needed);
  if (missing.length === 0) return;
  const why = missing.map((c) => (COLLECTOR_CAPABILITIES[c] ? `${c} (${COLLECTOR_CAPABILITIES[c]})` : c)).join(", ");
  throw new Error(`needs ${needed.join(", ")}; missing: ${why}. Run it as root or grant them (systemd: AmbientCapabilities=)`);
}
