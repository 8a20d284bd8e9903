// Table cases for the source/destination IP filters.
import { ipFilter } from "./ip.js";
import type { FilterCaseTable } from "./types.js";

const v4 = { IP: { source: "10.200.0.2", destination: "192.168.1.9", ipVersion: 1 } };
const v6 = { IP: { source: "fd00::2", destination: "2001:db8::1", ipVersion: 2 } };

export const ipCases: FilterCaseTable = {
  builder: ipFilter,
  cases: [
    { name: "exact v4 source", filter: { sourceIp: ["10.200.0.2"] }, flow: v4, match: true },
    { name: "exact v4 source, other address", filter: { sourceIp: ["10.200.0.3"] }, flow: v4, match: false },
    { name: "v4 CIDR source", filter: { sourceIp: ["10.200.0.0/24"] }, flow: v4, match: true },
    { name: "v4 CIDR outside", filter: { sourceIp: ["10.201.0.0/16"] }, flow: v4, match: false },
    { name: "values are ORed", filter: { destinationIp: ["1.1.1.1", "192.168.0.0/16"] }, flow: v4, match: true },
    { name: "v6 exact", filter: { sourceIp: ["fd00::2"] }, flow: v6, match: true },
    { name: "v6 CIDR destination", filter: { destinationIp: ["2001:db8::/32"] }, flow: v6, match: true },
    { name: "v4 filter never matches v6", filter: { sourceIp: ["0.0.0.0/0"] }, flow: v6, match: false },
    { name: "flow without IP", filter: { sourceIp: ["10.0.0.0/8"] }, flow: {}, match: false },
    {
      name: "source and destination are ANDed",
      filter: { sourceIp: ["10.200.0.2"], destinationIp: ["10.0.0.1"] },
      flow: v4,
      match: false,
    },
  ],
  invalid: [
    { name: "not an address", filter: { sourceIp: ["10.0.0.300"] }, error: "source_ip" },
    { name: "bad prefix", filter: { destinationIp: ["10.0.0.0/33"] }, error: "destination_ip" },
  ],
};
