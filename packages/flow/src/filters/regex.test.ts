// Client-supplied filter patterns (GetFlows http_path, http_url, dns_query; fqdn and node-name globs)
// run on the linear-time RE2 engine: a hostile pattern cannot stall the collector or the relay.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type FlowFilterSchema as FFS, FlowFilterSchema, FlowSchema } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { compileFilters } from "./compile.js";
import { FilterError } from "./types.js";

/** Builds the filter and runs it on one flow. */
function matches(filter: MessageInitShape<typeof FFS>, flow: MessageInitShape<typeof FlowSchema>): boolean {
  return compileFilters([create(FlowFilterSchema, filter)], [])(create(FlowSchema, flow));
}

const httpFlow = (url: string) => ({ l7: { record: { case: "http" as const, value: { method: "GET", url } } } });
const dnsFlow = (query: string) => ({ l7: { record: { case: "dns" as const, value: { query } } } });

describe("filter regexes", () => {
  // A backtracking engine needs ~2^n steps here; n = 28 is seconds in V8, n = 100,000 is never (past the
  // test timeout). The milliseconds are measured by bench/cpu-bounds.ts.
  for (const n of [28, 100_000]) {
    const as = "a".repeat(n);
    it(`run in linear time on hostile patterns (${n} characters)`, () => {
      for (const [name, filter, flow] of [
        ["http_url", { httpUrl: ["^http://x/(a+)+b"] }, httpFlow(`http://x/${as}`)],
        ["http_path", { httpPath: ["^/(a|a)*b$"] }, httpFlow(`http://x/${as}`)],
        ["dns_query", { dnsQuery: ["^(a*)*b$"] }, dnsFlow(as)],
        ["destination_fqdn", { destinationFqdn: ["*a*a*a*a*a*a*a*a*a*a*b"] }, { destinationNames: [as] }],
        ["node_name", { nodeName: ["*a*a*a*a*a*a*a*a*a*a*b"] }, { nodeName: `c/${as}` }],
      ] as const) {
        expect(matches(filter, flow), name).toBe(false);
      }
    });
  }

  it("use RE2 syntax and say why a pattern is refused, in one line", () => {
    const refused = (f: MessageInitShape<typeof FFS>) => {
      try {
        compileFilters([create(FlowFilterSchema, f)], []);
      } catch (e) {
        expect(e).toBeInstanceOf(FilterError);
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(refused({ httpUrl: ["/(?=admin)"] })).toBe(
      'invalid http_url filter "/(?=admin)": "/(?=admin)" is not a valid RE2 regular expression: invalid or unsupported Perl syntax: `(?=`',
    );
    expect(refused({ dnsQuery: ["(a)\\1"] })).toContain("invalid escape sequence");
    expect(refused({ httpPath: ["x".repeat(1025)] })).toContain("is longer than 1024 characters");
    expect(refused({ httpUrl: ["(a|b|c|d){0,1000}"] })).toMatch(
      /^invalid http_url filter .* is too large: its compiled program has \d+ instructions/,
    );
    // What RE2 and JavaScript read alike still works, unanchored as in Hubble.
    expect(matches({ httpUrl: ["/api/v[0-9]+/"] }, httpFlow("http://x/api/v1/items"))).toBe(true);
    expect(matches({ dnsQuery: ["(?i)KUBE"] }, dnsFlow("kube-dns.local."))).toBe(true);
  });
});
