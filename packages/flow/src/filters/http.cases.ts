// Table cases for the HTTP and DNS/FQDN filters.
import { fqdnFilter } from "./fqdn.js";
import { httpFilter } from "./http.js";
import type { FilterCaseTable } from "./types.js";

const get404 = {
  l7: {
    record: {
      case: "http" as const,
      value: { code: 404, method: "GET", url: "http://backend:8080/api/v1/items?x=1", headers: [{ key: "Host", value: "backend" }] },
    },
  },
};

export const httpCases: FilterCaseTable = {
  builder: httpFilter,
  cases: [
    { name: "exact code", filter: { httpStatusCode: ["404"] }, flow: get404, match: true },
    { name: "code class", filter: { httpStatusCode: ["4+"] }, flow: get404, match: true },
    { name: "other class", filter: { httpStatusCode: ["5+"] }, flow: get404, match: false },
    { name: "method case-insensitive", filter: { httpMethod: ["get"] }, flow: get404, match: true },
    { name: "path regex", filter: { httpPath: ["^/api/v1/"] }, flow: get404, match: true },
    { name: "path excludes query", filter: { httpPath: ["x=1"] }, flow: get404, match: false },
    { name: "url regex", filter: { httpUrl: ["backend:8080"] }, flow: get404, match: true },
    { name: "header", filter: { httpHeader: [{ key: "host", value: "backend" }] }, flow: get404, match: true },
    { name: "no http", filter: { httpMethod: ["GET"] }, flow: {}, match: false },
  ],
  invalid: [
    { name: "bad code", filter: { httpStatusCode: ["4xx"] }, error: "http_status_code" },
    { name: "bad regex", filter: { httpPath: ["(["] }, error: "http_path" },
  ],
};

export const fqdnCases: FilterCaseTable = {
  builder: fqdnFilter,
  cases: [
    {
      name: "destination name glob",
      filter: { destinationFqdn: ["*.example.com"] },
      flow: { destinationNames: ["api.example.com."] },
      match: true,
    },
    { name: "source name miss", filter: { sourceFqdn: ["db.local"] }, flow: { sourceNames: ["web.local"] }, match: false },
    {
      name: "dns query regex",
      filter: { dnsQuery: ["kube.*local"] },
      flow: { l7: { record: { case: "dns" as const, value: { query: "kube-dns.cluster.local." } } } },
      match: true,
    },
  ],
  invalid: [
    { name: "bad fqdn char", filter: { sourceFqdn: ["a b"] }, error: "source_fqdn" },
    { name: "bad regex", filter: { dnsQuery: ["("] }, error: "dns_query" },
  ],
};
