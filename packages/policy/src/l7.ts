// HTTP rule matching as Cilium's Envoy does it: method and path are RE2 regular expressions that
// must match the whole value. Shared by `lookup`-based trace and the L7 proxy, which both hand it the
// normalized path (http-target.ts), never the raw request target.

import { compileRegex, type Regex, regexProblem } from "@flowlens/regex";
import type { HttpRule, L7Port } from "./compiled.js";

/** The anchored regex of a rule pattern, or the one-line reason it is refused (RE2 syntax, size limits). */
export function compileHttpPattern(pattern: string): Regex | string {
  return regexProblem(pattern, "full") ?? compileRegex(pattern, "full");
}

function matches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  const re = compileHttpPattern(pattern);
  return typeof re !== "string" && re.test(value);
}

/** Whether one HTTP rule allows the request: `method` as sent (case-sensitive), `path` normalized and without the query string. */
export function httpRuleMatches(rule: HttpRule, method: string, path: string): boolean {
  return matches(rule.method, method) && matches(rule.path, path);
}

/**
 * The proxy's decision for one request from `peer` on an L7 port: allowed when a rule whose peers
 * include `peer` has no http rules (L4-only allow) or one matching http rule. A request no rule
 * allows gets ruleId 0 and, on an audit-mode port, `audit: true`: forward it and report AUDIT
 * instead of answering 403. `path` is the normalized path (normalizeRequestTarget), query excluded.
 */
export function matchHttp(
  l7port: L7Port,
  peer: number,
  method: string,
  path: string,
): { allowed: boolean; ruleId: number; audit?: boolean } {
  for (const r of l7port.rules) {
    if (r.peers !== "any" && !r.peers.includes(peer)) continue;
    if (r.http.length === 0 || r.http.some((h) => httpRuleMatches(h, method, path))) return { allowed: true, ruleId: r.ruleId };
  }
  return l7port.audit ? { allowed: false, ruleId: 0, audit: true } : { allowed: false, ruleId: 0 };
}
