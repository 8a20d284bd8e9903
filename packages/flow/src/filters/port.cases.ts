// Table cases for the port filters.
import { portFilter } from "./port.js";
import type { FilterCaseTable } from "./types.js";

const tcp = { l4: { protocol: { case: "TCP" as const, value: { sourcePort: 43210, destinationPort: 8080 } } } };
const udp = { l4: { protocol: { case: "UDP" as const, value: { sourcePort: 5353, destinationPort: 53 } } } };
const icmp = { l4: { protocol: { case: "ICMPv4" as const, value: { type: 8 } } } };

export const portCases: FilterCaseTable = {
  builder: portFilter,
  cases: [
    { name: "tcp destination", filter: { destinationPort: ["8080"] }, flow: tcp, match: true },
    { name: "udp destination", filter: { destinationPort: ["80", "53"] }, flow: udp, match: true },
    { name: "source port", filter: { sourcePort: ["43210"] }, flow: tcp, match: true },
    { name: "other port", filter: { destinationPort: ["80"] }, flow: tcp, match: false },
    { name: "icmp has no port", filter: { destinationPort: ["0"] }, flow: icmp, match: false },
  ],
  invalid: [
    { name: "not a number", filter: { destinationPort: ["http"] }, error: "destination_port" },
    { name: "too large", filter: { sourcePort: ["70000"] }, error: "source_port" },
  ],
};
