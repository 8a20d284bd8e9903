// source_ip / destination_ip / source_ip_xlated filters: exact address or CIDR, IPv4 and IPv6.
import { BlockList, isIP } from "node:net";
import type { Flow } from "@flowlens/proto";
import { type FilterBuilder, FilterError, type FlowPredicate } from "./types.js";

function ipMatcher(field: string, values: string[], get: (flow: Flow) => string | undefined): FlowPredicate {
  const list = new BlockList();
  for (const raw of values) {
    const value = raw.trim();
    const slash = value.indexOf("/");
    const addr = slash < 0 ? value : value.slice(0, slash);
    const family = isIP(addr);
    if (family === 0) throw new FilterError(field, raw, "not an IP address or CIDR");
    const type = family === 4 ? "ipv4" : "ipv6";
    if (slash < 0) {
      list.addAddress(addr, type);
      continue;
    }
    const bits = value.slice(slash + 1);
    const prefix = Number(bits);
    if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
      throw new FilterError(field, raw, "bad CIDR prefix length");
    }
    list.addSubnet(addr, prefix, type);
  }
  return (flow) => {
    const ip = get(flow);
    if (!ip) return false;
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 4 ? "ipv4" : "ipv6");
  };
}

export const ipFilter: FilterBuilder = {
  name: "ip",
  fields: ["sourceIp", "destinationIp", "sourceIpXlated"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourceIp.length) out.push(ipMatcher("source_ip", ff.sourceIp, (f) => f.IP?.source));
    if (ff.destinationIp.length) out.push(ipMatcher("destination_ip", ff.destinationIp, (f) => f.IP?.destination));
    if (ff.sourceIpXlated.length) {
      out.push(ipMatcher("source_ip_xlated", ff.sourceIpXlated, (f) => f.IP?.sourceXlated));
    }
    return out;
  },
};
