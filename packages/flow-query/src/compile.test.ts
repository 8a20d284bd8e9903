// The compiler without a server: SQL shapes that matter (literals only through the builder, CIDR forms, negation),
// Hubble query parameters and FlowFilters refused with a clear one-line message.
import { create } from "@bufbuild/protobuf";
import { FlowFilterSchema } from "@flowlens/proto";
import { describe, expect, test } from "vitest";
import { FilterSyntaxError } from "./errors.js";
import { andExprs, cond, fieldsOf } from "./expr.js";
import { flowFiltersToExpr } from "./flow-filters.js";
import { HUBBLE_PARAM_NAMES, hubbleParamsToExpr, MAX_PARAM_VALUES } from "./hubble-params.js";
import { parseFilter } from "./parse.js";
import { exprToSql } from "./sql.js";

const sqlOf = (text: string) => exprToSql(parseFilter(text)).text;

describe("exprToSql", () => {
  test("user text reaches SQL only as escaped literals", () => {
    const out = sqlOf(`source_pod = 'x\\' OR 1=1 --' OR http_url LIKE "a\\\\b"`);
    expect(out).toContain("src_pod = 'x\\' OR 1=1 --'");
    expect(out).toContain("http_url LIKE 'a\\\\b'");
  });

  test("enum names are normalized and compared as stored; numbers map to names", () => {
    expect(sqlOf("verdict IN (dropped, 1)")).toBe("(verdict IN ('DROPPED', 'FORWARDED'))");
    expect(sqlOf("drop_reason = 0")).toBe("(drop_reason = '')");
  });

  test("negative operators are the NOT of the positive one", () => {
    expect(sqlOf("verdict != DROPPED")).toBe("NOT (verdict = 'DROPPED')");
    expect(sqlOf("source_port NOT IN (1, 2)")).toBe("NOT ((protocol IN ('TCP', 'UDP', 'SCTP') AND src_port IN (1, 2)))");
  });

  test("IPv4 CIDRs compare a guarded IPv4StringToNum range", () => {
    const out = sqlOf("source_ip = 10.1.0.0/16");
    expect(out).toContain("BETWEEN 167837696 AND 167903231");
    expect(out).not.toMatch(/isIPv4String|toIPv4|IPv4CIDRToRange/);
  });

  test("IPv6 prefixes match the hex digits; a prefix inside a digit lists the digit's values", () => {
    const out = sqlOf("destination_ip = 2001:db8:8000::/33");
    expect(out).toContain("hex(IPv6StringToNum(if(position(dst_ip, ':') > 0");
    expect(out).toContain("'^(?:20010DB8[89ABCDEF])'");
  });

  test("many addresses share one conversion: exact IPv4s as one IN, IPv6s as one regex", () => {
    const out = sqlOf("source_ip IN (10.2.3.4, 10.2.3.5, fd00::1, fd00::/16)");
    expect(out).toContain("IN (167904004, 167904005)");
    expect(out).toContain("'^(?:FD000000000000000000000000000001|FD00)'");
    expect(out.match(/IPv6StringToNum/g)).toHaveLength(1);
  });

  test("empty AND is true, empty OR is false", () => {
    expect(exprToSql({ kind: "and", items: [] }).text).toBe("1");
    expect(exprToSql({ kind: "or", items: [] }).text).toBe("0");
    expect(andExprs(undefined, undefined)).toBeUndefined();
    expect(andExprs(cond("verdict", "=", ["DROPPED"]), undefined)).toEqual(cond("verdict", "=", ["DROPPED"]));
  });
});

test("fieldsOf lists the catalog fields an expression reads", () => {
  expect([...fieldsOf(parseFilter("pod = a AND NOT (verdict = DROPPED OR l4 = tcp)"))].sort()).toEqual([
    "destination_pod",
    "protocol",
    "source_pod",
    "verdict",
  ]);
  expect(fieldsOf(undefined).size).toBe(0);
});

describe("hubbleParamsToExpr", () => {
  test("values of one name OR, names AND", () => {
    const e = hubbleParamsToExpr({ verdict: ["DROPPED", "audit"], "to-port": ["443"] });
    expect(e && exprToSql(e).text).toBe(
      "((verdict IN ('DROPPED', 'AUDIT')) AND ((protocol IN ('TCP', 'UDP', 'SCTP') AND dst_port = 443)))",
    );
    expect(hubbleParamsToExpr({})).toBeUndefined();
  });

  test("a thousand values of one parameter stay one small condition per side", () => {
    const ips = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const out = exprToSql(hubbleParamsToExpr({ ip: ips }) as never).text;
    expect(out.match(/IPv4StringToNum/g)).toHaveLength(2);
    expect(out.length).toBeLessThan(30_000);
  });

  test("SQL larger than ClickHouse takes is refused with a clear message", () => {
    const text = Array.from({ length: 220 }, (_, i) => `ip=1.1.${i >> 8}.${i & 255}`).join(" or ");
    expect(() => sqlOf(text)).toThrow(/^filter too large: it compiles to \d+ bytes of SQL, at most 131072$/);
  });

  test.each([
    [{ "from-ip": ["10.0.0.300"] }, 'parameter from-ip: invalid source_ip filter "10.0.0.300": not an IP address or CIDR'],
    [{ verdict: ["DROPED"] }, "invalid value 'DROPED' for parameter verdict"],
    [{ sorce: ["x"] }, "unknown filter parameter 'sorce'"],
    [{ type: ["trace"] }, "parameter type=trace cannot run on the flow history"],
    [{ "from-label": ["app in (a"] }, "parameter from-label: invalid source_label filter"],
    [{ "tcp-flags": ["syn,bogus"] }, "unknown TCP flag 'bogus'"],
    [{ "from-identity": ["world"] }, "not a numeric identity"],
    [{ port: Array.from({ length: MAX_PARAM_VALUES + 1 }, () => "1") }, `more than ${MAX_PARAM_VALUES} values`],
  ])("%j is refused: %s", (params, message) => {
    expect(() => hubbleParamsToExpr(params)).toThrow(FilterSyntaxError);
    expect(() => hubbleParamsToExpr(params)).toThrow(message);
  });

  test("every documented parameter compiles", () => {
    const sample: Record<string, string> = {
      "tcp-flags": "syn,ack",
      type: "l7",
      verdict: "DROPPED",
      "drop-reason": "POLICY_DENIED",
      "drop-reason-desc": "133",
      "traffic-direction": "ingress",
      "ip-version": "6",
      reply: "true",
      "http-status": "5+",
      "from-ip": "10.0.0.0/8",
      "to-ip": "fd00::/8",
      ip: "10.0.0.1",
      protocol: "tcp",
      "http-method": "GET",
    };
    for (const name of HUBBLE_PARAM_NAMES) {
      const v = sample[name] ?? (/port|identity/.test(name) ? "53" : name.endsWith("pod") ? "default/web" : "x");
      const e = hubbleParamsToExpr({ [name]: [v] });
      expect(e, name).toBeDefined();
      expect(() => exprToSql(e as never), name).not.toThrow();
    }
  });
});

describe("flowFiltersToExpr", () => {
  test("a FlowFilter field without a column is refused by name", () => {
    expect(() => flowFiltersToExpr([create(FlowFilterSchema, { sourceFqdn: ["*.x.com"] })], [])).toThrow(
      'the source_fqdn filter ("*.x.com") cannot run on the flow history',
    );
  });
  test("no filters: no constraint", () => {
    expect(flowFiltersToExpr([], [])).toBeUndefined();
  });
});
