import { describe, expect, it } from "vitest";
import { normalizeRequestTarget } from "./http-target.js";

describe("normalizeRequestTarget", () => {
  it.each([
    // [raw, path the rules see, target forwarded]
    ["/public/a", "/public/a", "/public/a"],
    ["/", "/", "/"],
    ["/public/../restricted", "/restricted", "/restricted"],
    ["/public/%2e%2e/restricted", "/restricted", "/restricted"],
    ["/public/%2E%2E/restricted", "/restricted", "/restricted"],
    ["/public/.%2E/restricted", "/restricted", "/restricted"],
    ["/public/%2e./restricted", "/restricted", "/restricted"],
    ["/public//../restricted", "/restricted", "/restricted"],
    ["//public///a", "/public/a", "/public/a"],
    ["/public/./x", "/public/x", "/public/x"],
    ["/public/%2e/x", "/public/x", "/public/x"],
    ["/public/x/.", "/public/x/", "/public/x/"],
    ["/public/x/..", "/public/", "/public/"],
    ["/../../etc/passwd", "/etc/passwd", "/etc/passwd"],
    ["/public/...", "/public/...", "/public/..."],
    ["/public/.x/..y", "/public/.x/..y", "/public/.x/..y"],
    // Unreserved escapes decoded, other escapes kept with upper-case hex.
    ["/%70ublic/%7Ea%2D%5f", "/public/~a-_", "/public/~a-_"],
    ["/public/a%20b%3f%c3%a9", "/public/a%20b%3F%C3%A9", "/public/a%20b%3F%C3%A9"],
    ["/public/%252e%252e/x", "/public/%252e%252e/x", "/public/%252e%252e/x"], // %25 stays encoded: never a dot,
    // The query is kept as sent and never normalized or matched as path.
    ["/public/a?x=/../y&z=%2e", "/public/a", "/public/a?x=/../y&z=%2e"],
    ["/restricted?/public/", "/restricted", "/restricted?/public/"],
    ["/public/../restricted?q", "/restricted", "/restricted?q"],
    ["/public?", "/public", "/public?"],
  ])("%s → path %s, forwards %s", (raw, path, target) => {
    expect(normalizeRequestTarget(raw)).toEqual({ ok: true, path, target });
  });

  it.each([
    ["/public/%2F../restricted", "encoded slash (%2F) in the path"],
    ["/public/%2f", "encoded slash (%2F) in the path"],
    ["/public/%5C../restricted", "encoded backslash (%5C) in the path"],
    ["/public\\..\\restricted", "backslash in the path"],
    ["/public/%00", "encoded control byte (%00) in the path"],
    ["/public/%0a", "encoded control byte (%0A) in the path"],
    ["/public/\u0000", "control byte, space or non-ASCII byte in the path"],
    ["/public/\t", "control byte, space or non-ASCII byte in the path"],
    ["/public/é", "control byte, space or non-ASCII byte in the path"],
    ["/public?a\u0000", "control byte, space or non-ASCII byte in the query"],
    ["/public/a#x", "fragment (#) in the request target"],
    ["/public/%zz", 'malformed %-escape "%zz" in the path'],
    ["/public/%2", 'malformed %-escape "%2" in the path'],
    ["/public/..;/restricted", "path parameter on a dot segment (/..;) in the path"],
    ["/public/%2e%2e;x/restricted", "path parameter on a dot segment (/..;) in the path"],
    ["http://server/public/a", "absolute-form request targets are not accepted; send origin-form (/path)"],
    ["HTTP://server/../restricted", "absolute-form request targets are not accepted; send origin-form (/path)"],
    ["*", "asterisk-form (*) request targets are not accepted"],
    ["server:80", "absolute-form request targets are not accepted; send origin-form (/path)"],
    ["public/a", "the request target must start with /"],
    ["", "the request target must start with /"],
  ])("refuses %j: %s", (raw, reason) => {
    expect(normalizeRequestTarget(raw)).toEqual({ ok: false, reason });
  });
});
