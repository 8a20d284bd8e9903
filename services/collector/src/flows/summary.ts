// Flow.Summary as Cilium's agent writes it, so Hubble's own printers show the same text; the
// names and order come from @flowlens/flow, shared with the printers.
import { icmpSummary, TCP_FLAG_BITS, tcpFlagsSummary } from "@flowlens/flow";

/** "TCP Flags: SYN, ACK" from the TCP header's flag bits. */
export function tcpSummary(bits: number): string {
  return tcpFlagsSummary((name) => (bits & TCP_FLAG_BITS[name]) !== 0);
}

export { icmpSummary };
