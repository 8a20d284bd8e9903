// Table cases for the protocol filter.
import { protocolFilter } from "./protocol.js";
import type { FilterCaseTable } from "./types.js";

const tcp = { l4: { protocol: { case: "TCP" as const, value: {} } } };
const icmp6 = { l4: { protocol: { case: "ICMPv6" as const, value: { type: 128 } } } };
const dns = { l4: { protocol: { case: "UDP" as const, value: {} } }, l7: { record: { case: "dns" as const, value: { query: "a." } } } };

export const protocolCases: FilterCaseTable = {
  builder: protocolFilter,
  cases: [
    { name: "tcp", filter: { protocol: ["tcp"] }, flow: tcp, match: true },
    { name: "case-insensitive", filter: { protocol: ["TCP"] }, flow: tcp, match: true },
    { name: "udp vs tcp", filter: { protocol: ["udp"] }, flow: tcp, match: false },
    { name: "icmp covers v6", filter: { protocol: ["icmp"] }, flow: icmp6, match: true },
    { name: "icmpv4 not v6", filter: { protocol: ["icmpv4"] }, flow: icmp6, match: false },
    { name: "l7 dns", filter: { protocol: ["dns"] }, flow: dns, match: true },
    { name: "ORed", filter: { protocol: ["http", "udp"] }, flow: dns, match: true },
  ],
  invalid: [{ name: "unknown", filter: { protocol: ["quic"] }, error: "protocol" }],
};
