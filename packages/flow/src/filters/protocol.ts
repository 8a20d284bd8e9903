// protocol filter: L4 (tcp, udp, sctp, icmp, icmpv4, icmpv6) or L7 (http, dns, kafka), case-insensitive.
import type { Flow } from "@flowlens/proto";
import { type FilterBuilder, FilterError } from "./types.js";

const PROTOCOLS: Record<string, (flow: Flow) => boolean> = {
  tcp: (f) => f.l4?.protocol.case === "TCP",
  udp: (f) => f.l4?.protocol.case === "UDP",
  sctp: (f) => f.l4?.protocol.case === "SCTP",
  icmp: (f) => f.l4?.protocol.case === "ICMPv4" || f.l4?.protocol.case === "ICMPv6",
  icmpv4: (f) => f.l4?.protocol.case === "ICMPv4",
  icmpv6: (f) => f.l4?.protocol.case === "ICMPv6",
  http: (f) => f.l7?.record.case === "http",
  dns: (f) => f.l7?.record.case === "dns",
  kafka: (f) => f.l7?.record.case === "kafka",
};

export const protocolFilter: FilterBuilder = {
  name: "protocol",
  fields: ["protocol"],
  build(ff) {
    if (ff.protocol.length === 0) return [];
    const checks = ff.protocol.map((p) => {
      const check = PROTOCOLS[p.toLowerCase()];
      if (!check) throw new FilterError("protocol", p, `unknown protocol, use one of ${Object.keys(PROTOCOLS).join(", ")}`);
      return check;
    });
    return [(flow) => checks.some((c) => c(flow))];
  },
};
