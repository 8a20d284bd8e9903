// HTTP rule matching as Cilium's Envoy does it: method and path are regular expressions that must
// match the whole value. Shared by `lookup`-based trace and the L7 proxy.

import type { HttpRule, L7Port } from "./compiled.js";

const cache = new Map<string, RegExp>();

/** The anchored RegExp of a rule pattern, or an error message when JS (or RE2, as Cilium uses) cannot run it. */
export function compileHttpPattern(pattern: string): RegExp | string {
  const hit = cache.get(pattern);
  if (hit) return hit;
  // RE2 (Envoy, Go) has no lookaround and no backreferences: refuse what Cilium would refuse.
  if (/\(\?<?[=!]/.test(pattern)) return `"${pattern}" uses lookahead/lookbehind, which Cilium's RE2 regular expressions do not support`;
  if (/(^|[^\\])(\\\\)*\\[1-9]/.test(pattern))
    return `"${pattern}" uses a backreference, which Cilium's RE2 regular expressions do not support`;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const why = msg.slice(msg.lastIndexOf(": ") + 2); // V8 puts our anchored wrapper in front
    return `"${pattern}" is not a valid regular expression: ${why}`;
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(pattern, re);
  return re;
}

function matches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  const re = compileHttpPattern(pattern);
  return typeof re !== "string" && re.test(value);
}

/** Whether one HTTP rule allows the request (`path` as on the request line, query string included, as Cilium matches `:path`). */
export function httpRuleMatches(rule: HttpRule, method: string, path: string): boolean {
  return matches(rule.method, method) && matches(rule.path, path);
}

/**
 * The proxy's decision for one request from `peer` on an L7 port: allowed when a rule whose peers
 * include `peer` has no http rules (L4-only allow) or one matching http rule. A request no rule
 * allows gets ruleId 0 and, on an audit-mode port, `audit: true`: forward it and report AUDIT
 * instead of answering 403.
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
