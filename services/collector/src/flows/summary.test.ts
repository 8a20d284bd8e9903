import { describe, expect, it } from "vitest";
import { icmpSummary, tcpSummary } from "./summary.js";

describe("Cilium-style summaries", () => {
  it.each([
    [0x12, "TCP Flags: SYN, ACK"],
    [0x11, "TCP Flags: ACK, FIN"],
    [0x15, "TCP Flags: ACK, RST, FIN"],
    [0x14, "TCP Flags: ACK, RST"],
    [0x02, "TCP Flags: SYN"],
  ])("tcp %i", (bits, text) => expect(tcpSummary(bits)).toBe(text));
  it.each([
    [4, 8, 0, "ICMPv4 EchoRequest"],
    [4, 3, 3, "ICMPv4 DestinationUnreachable(Port)"],
    [6, 135, 0, "ICMPv6 NeighborSolicitation"],
    [6, 1, 4, "ICMPv6 DestinationUnreachable(Port)"],
    [4, 200, 1, "ICMPv4 200(1)"],
  ] as const)("icmpv%i type %i code %i", (v, t, c, text) => expect(icmpSummary(v, t, c)).toBe(text));
});
