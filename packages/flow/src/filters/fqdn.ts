// source_fqdn / destination_fqdn (glob patterns on source_names/destination_names) and dns_query (regex on the DNS query).
import type { Flow } from "@flowlens/proto";
import { anyOf, filterRegexes, fqdnPatternSource } from "./patterns.js";
import type { FilterBuilder, FlowPredicate } from "./types.js";

function fqdnMatcher(field: string, patterns: string[], get: (flow: Flow) => string[]): FlowPredicate {
  const re = anyOf(field, patterns, fqdnPatternSource);
  return (flow) => get(flow).some((name) => re.test(name.replace(/\.$/, "").toLowerCase()));
}

export const fqdnFilter: FilterBuilder = {
  name: "fqdn",
  fields: ["sourceFqdn", "destinationFqdn", "dnsQuery"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourceFqdn.length) out.push(fqdnMatcher("source_fqdn", ff.sourceFqdn, (f) => f.sourceNames));
    if (ff.destinationFqdn.length) {
      out.push(fqdnMatcher("destination_fqdn", ff.destinationFqdn, (f) => f.destinationNames));
    }
    if (ff.dnsQuery.length) {
      const res = filterRegexes("dns_query", ff.dnsQuery);
      out.push((flow) => {
        const r = flow.l7?.record;
        return r?.case === "dns" && res.some((re) => re.test(r.value.query));
      });
    }
    return out;
  },
};
