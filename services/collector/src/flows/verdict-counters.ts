// Counts behind policy_verdicts_total{direction,match,action} and drop_total{reason,protocol},
// bumped when a record is decoded (every decision counts, read by a client or not) and turned
// into label sets when Prometheus scrapes.
import { DropReason } from "@flowlens/proto";

/** Cilium's policy_match_type names, lower-cased as Hubble's policy metric labels them. */
export const MATCH_TYPE_LABEL = ["none", "l3-only", "l3-l4", "l4-only", "all", "l3-proto", "proto-only"];

const PROTO: Record<number, string> = { 1: "ICMPv4", 6: "TCP", 17: "UDP", 58: "ICMPv6", 132: "SCTP" };

export function protocolLabel(proto: number): string {
  return PROTO[proto] ?? "unknown";
}

export class VerdictCounters {
  /** "direction|match|action" -> count. */
  private readonly verdicts = new Map<string, number>();
  /** Hubble DropReason number | protocol -> count. */
  private readonly drops = new Map<string, number>();
  /** Kernel skb_drop_reason | protocol -> count (mapped to Hubble's reasons when read). */
  private readonly kernelDrops = new Map<string, number>();

  verdict(direction: string, match: string, action: string): void {
    const k = `${direction}|${match}|${action}`;
    this.verdicts.set(k, (this.verdicts.get(k) ?? 0) + 1);
  }

  drop(hubbleReason: number, proto: number): void {
    const k = `${hubbleReason}|${protocolLabel(proto)}`;
    this.drops.set(k, (this.drops.get(k) ?? 0) + 1);
  }

  kernelDrop(kernelReason: number, proto: number): void {
    const k = `${kernelReason}|${protocolLabel(proto)}`;
    this.kernelDrops.set(k, (this.kernelDrops.get(k) ?? 0) + 1);
  }

  verdictTotals(): { direction: string; match: string; action: string; value: number }[] {
    return [...this.verdicts].map(([k, value]) => {
      const [direction, match, action] = k.split("|");
      return { direction, match, action, value };
    });
  }

  /** `toHubble` maps a kernel reason onto Hubble's DropReason number. */
  dropTotals(toHubble: (kernelReason: number) => number): { reason: string; protocol: string; value: number }[] {
    const out = new Map<string, number>();
    const add = (reason: number, protocol: string, n: number) => {
      const k = `${DropReason[reason] ?? String(reason)}|${protocol}`;
      out.set(k, (out.get(k) ?? 0) + n);
    };
    for (const [k, n] of this.drops) {
      const [r, p] = k.split("|");
      add(Number(r), p, n);
    }
    for (const [k, n] of this.kernelDrops) {
      const [r, p] = k.split("|");
      add(toHubble(Number(r)), p, n);
    }
    return [...out].map(([k, value]) => {
      const [reason, protocol] = k.split("|");
      return { reason, protocol, value };
    });
  }
}
