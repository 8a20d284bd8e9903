// HTTP filters: http_status_code ("404", "4+"), http_method, http_path and http_url (regex), http_header (key/value).
import type { Flow, HTTP } from "@flowlens/proto";
import { filterRegexes } from "./patterns.js";
import { type FilterBuilder, FilterError, type FlowPredicate } from "./types.js";

function http(flow: Flow): HTTP | undefined {
  const r = flow.l7?.record;
  return r?.case === "http" ? r.value : undefined;
}

export const httpFilter: FilterBuilder = {
  name: "http",
  fields: ["httpStatusCode", "httpMethod", "httpPath", "httpUrl", "httpHeader"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.httpStatusCode.length) {
      const codes = ff.httpStatusCode.map((c) => {
        if (/^[1-5][0-9]{2}$/.test(c)) return (n: number) => n === Number(c);
        if (/^[1-5]\+$/.test(c)) return (n: number) => Math.floor(n / 100) === Number(c[0]);
        throw new FilterError("http_status_code", c, 'use a code like "404" or a class like "5+"');
      });
      out.push((flow) => {
        const h = http(flow);
        return h !== undefined && h.code !== 0 && codes.some((m) => m(h.code));
      });
    }
    if (ff.httpMethod.length) {
      const methods = new Set(ff.httpMethod.map((m) => m.toUpperCase()));
      out.push((flow) => {
        const h = http(flow);
        return h !== undefined && methods.has(h.method.toUpperCase());
      });
    }
    if (ff.httpPath.length) {
      const res = filterRegexes("http_path", ff.httpPath);
      out.push((flow) => {
        const h = http(flow);
        if (!h) return false;
        let path: string;
        try {
          path = new URL(h.url, "http://x").pathname;
        } catch {
          return false;
        }
        return res.some((re) => re.test(path));
      });
    }
    if (ff.httpUrl.length) {
      const res = filterRegexes("http_url", ff.httpUrl);
      out.push((flow) => {
        const h = http(flow);
        return h !== undefined && res.some((re) => re.test(h.url));
      });
    }
    if (ff.httpHeader.length) {
      const wanted = ff.httpHeader.map((h) => ({ key: h.key.toLowerCase(), value: h.value }));
      out.push((flow) => {
        const h = http(flow);
        return h !== undefined && wanted.some((w) => h.headers.some((fh) => fh.key.toLowerCase() === w.key && fh.value === w.value));
      });
    }
    return out;
  },
};
