// The filter language's parser: precedence, values, shorthands, errors with positions, limits.
import { describe, expect, test } from "vitest";
import { FilterSyntaxError } from "./errors.js";
import type { FilterExpr } from "./expr.js";
import { MAX_DEPTH, MAX_FILTER_BYTES, MAX_IN_VALUES } from "./grammar.js";
import { parseFilter } from "./parse.js";

// a compact rendering of the AST: conds as "field op v1|v2", groups in brackets
function show(e: FilterExpr): string {
  switch (e.kind) {
    case "cond":
      return `${e.field} ${e.op} ${e.values.join("|")}`;
    case "not":
      return `NOT[${show(e.item)}]`;
    default:
      return `${e.kind.toUpperCase()}[${e.items.map(show).join(", ")}]`;
  }
}

function errorOf(text: string): FilterSyntaxError {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(FilterSyntaxError);
    return err as FilterSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("precedence and structure", () => {
  test.each([
    ["verdict = DROPPED", "verdict = DROPPED"],
    ["verdict = DROPPED OR verdict = AUDIT AND source_port = 1", "OR[verdict = DROPPED, AND[verdict = AUDIT, source_port = 1]]"],
    ["(verdict = DROPPED OR verdict = AUDIT) AND source_port = 1", "AND[OR[verdict = DROPPED, verdict = AUDIT], source_port = 1]"],
    ["NOT verdict = DROPPED AND protocol = tcp", "AND[NOT[verdict = DROPPED], protocol = tcp]"],
    ["not not (protocol = tcp)", "NOT[NOT[protocol = tcp]]"],
    ["a_or_b", ""],
  ])("%s", (text, expected) => {
    if (expected === "") return expect(() => parseFilter(text)).toThrow(FilterSyntaxError);
    expect(show(parseFilter(text))).toBe(expected);
  });

  test("keywords and enum names are case-insensitive; == and <> are = and !=", () => {
    expect(show(parseFilter("Verdict == dropped and PROTOCOL <> udp oR http_method like 'G%'"))).toBe(
      "OR[AND[verdict = dropped, protocol != udp], http_method like G%]",
    );
  });

  test("IN and NOT IN lists, quoted strings with escapes, numbers, CIDRs", () => {
    expect(show(parseFilter(`destination_port IN (80, 443) AND source_namespace NOT IN ('kube-system', "a\\"b\\\\c")`))).toBe(
      'AND[destination_port in 80|443, source_namespace not in kube-system|a"b\\c]',
    );
    expect(show(parseFilter("source_ip = 10.0.0.0/8 or destination_ip = fd00::/8"))).toBe(
      "OR[source_ip = 10.0.0.0/8, destination_ip = fd00::/8]",
    );
    expect(show(parseFilter("source_pod = default/frontend-1"))).toBe("source_pod = default/frontend-1");
    expect(show(parseFilter("dns_query ~ 'kube.*\\\\.local'"))).toBe("dns_query ~ kube.*\\.local");
  });

  test("either-side shorthands: positive operators OR the sides, negative ones mean neither side", () => {
    expect(show(parseFilter("pod = web-1"))).toBe("OR[source_pod = web-1, destination_pod = web-1]");
    expect(show(parseFilter("namespace != kube-system"))).toBe(
      "AND[source_namespace != kube-system, destination_namespace != kube-system]",
    );
    expect(show(parseFilter("port NOT IN (53)"))).toBe("AND[source_port not in 53, destination_port not in 53]");
    expect(show(parseFilter("label = 'app=web'"))).toBe("OR[source_label = app=web, destination_label = app=web]");
    expect(show(parseFilter("ip = 10.0.0.1"))).toBe("OR[source_ip = 10.0.0.1, destination_ip = 10.0.0.1]");
    expect(show(parseFilter("workload = api"))).toBe("OR[source_workload = api, destination_workload = api]");
  });

  test("aliases resolve to the catalog's names", () => {
    expect(show(parseFilter("l4 = tcp and event_type = L7 and http_status >= 500"))).toBe(
      "AND[protocol = tcp, type = L7, http_code >= 500]",
    );
  });
});

describe("errors name the problem and point at it", () => {
  test.each([
    ["sorce_pod = x", "unknown field 'sorce_pod' at 1:1 (did you mean source_pod?)", 0],
    ["verdict = DROPED", "invalid value 'DROPED' for verdict: unknown Verdict (one of FORWARDED, DROPPED, ERROR, AUDIT", 10],
    ["protocol = quic", "invalid value 'quic' for protocol: unknown protocol (one of tcp,", 11],
    ["source_ip = 10.0.0.0/33", "invalid value '10.0.0.0/33' for source_ip: bad CIDR prefix length (0-32) at 1:13", 12],
    ["source_ip = 10.0.0.300", "not an IP address or CIDR at 1:13", 12],
    ["source_port = http", "invalid value 'http' for source_port: not an integer at 1:15", 14],
    ["verdict LIKE 'D%'", "operator LIKE does not apply to verdict", 8],
    ["http_path ~ '(['", "invalid value '([' for http_path:", 12],
    ["source_label = 'app in (a'", "for source_label: unterminated value set", 15],
    ["tcp_flags = XYZ", "not a TCP flag", 12],
    ["verdict = DROPPED AND", "expected a field name, found end of filter at 1:22", 21],
    ["(verdict = DROPPED", "expected ')' to close the '(' at 1:1, found end of filter at 1:19", 18],
    ["verdict = DROPPED)", "unmatched ')' at 1:18", 17],
    ["verdict DROPPED", "expected an operator after 'verdict', found 'DROPPED' at 1:9", 8],
    ["source_pod = 'abc", "unterminated string at 1:14", 13],
    ["source_pod = 'a\\qb'", "unknown escape '\\q' in string at 1:16", 15],
    ["verdict = DROPPED verdict = AUDIT", "expected AND, OR or end of filter, found 'verdict' at 1:19", 18],
    ["port IN ()", "expected a value, found ')' at 1:10", 9],
    ["", "empty filter at 1:1", 0],
    ["verdict IN (DROPPED, NOPE)", "invalid value 'NOPE' for verdict", 21],
    ["source_ip NOT IN (10.0.0.1, ::1, 1.2.3)", "invalid value '1.2.3' for source_ip: not an IP address or CIDR at 1:34", 33],
    ["verdict = DROPPED\n  AND sorce_ip = 1.2.3.4", "unknown field 'sorce_ip' at 2:7 (did you mean source_ip?)", 24],
  ])("%j", (text, message, offset) => {
    const err = errorOf(text);
    expect(err.message).toContain(message);
    expect(err.message).not.toContain("\n");
    expect(err.position.offset).toBe(offset);
  });
});

describe("limits", () => {
  test("a value longer than 1024 characters is refused with a short one-line message", () => {
    const err = errorOf(`uuid = '${"x".repeat(1025)}'`);
    expect(err.message).toContain("longer than 1024 characters at 1:8");
    expect(err.message.length).toBeLessThan(200);
  });

  test(`filter text longer than ${MAX_FILTER_BYTES} bytes is refused, that size is accepted`, () => {
    const exact = `uuid = 'x'${" ".repeat(MAX_FILTER_BYTES - "uuid = 'x'".length)}`;
    expect(() => parseFilter(exact)).not.toThrow();
    expect(errorOf(`${exact} `).message).toContain(`filter longer than ${MAX_FILTER_BYTES} bytes`);
    // bytes, not characters
    expect(errorOf(`uuid = '${"é".repeat(MAX_FILTER_BYTES / 2)}'`).message).toContain("longer than");
  });

  test(`nesting deeper than ${MAX_DEPTH} is refused`, () => {
    const nest = (n: number) => `${"(".repeat(n)}verdict = DROPPED${")".repeat(n)}`;
    expect(() => parseFilter(nest(MAX_DEPTH))).not.toThrow();
    expect(errorOf(nest(MAX_DEPTH + 1)).message).toContain(`nested deeper than ${MAX_DEPTH} levels at 1:${MAX_DEPTH + 1}`);
    expect(errorOf(`${"NOT ".repeat(MAX_DEPTH + 1)}verdict = DROPPED`).message).toContain("nested deeper");
    // a hostile depth costs one error, not a stack overflow
    expect(errorOf("(".repeat(1000)).message).toContain("nested deeper");
  });

  test(`IN lists longer than ${MAX_IN_VALUES} values are refused`, () => {
    const list = (n: number) => `destination_port IN (${Array.from({ length: n }, (_, i) => i).join(",")})`;
    expect(() => parseFilter(list(MAX_IN_VALUES))).not.toThrow();
    expect(errorOf(list(MAX_IN_VALUES + 1)).message).toContain(`IN list longer than ${MAX_IN_VALUES} values at 1:21`);
  });
});
