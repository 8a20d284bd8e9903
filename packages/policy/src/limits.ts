// Bounds on one policy input (an Apply, a --policies file): past them the input is refused whole,
// before it costs the node memory or compile time.
import type { PolicyError } from "./errors.js";
import type { Policy } from "./model.js";

export const POLICY_INPUT_LIMITS = {
  /** Bytes of YAML/JSON text (an Apply over gRPC's 4 MiB message limit is refused by gRPC before this). */
  bytes: 2 * 1024 * 1024,
  policies: 10_000,
  /** Rule entries (ingress, egress and deny) of all the policies together. */
  rules: 100_000,
};

/** Rules of a policy as `policy list` counts them: ingress, egress and deny entries of every spec. */
export function ruleCount(p: Policy): number {
  return p.rules.reduce((n, r) => n + r.ingress.length + r.egress.length + r.ingressDeny.length + r.egressDeny.length, 0);
}

const utf8 = new TextEncoder();
const sourcesOf = (docs: { source: string }[]) => docs.map((d) => d.source).join(", ") || "(no documents)";

/** An error when the texts together are larger than the limit. */
export function inputSizeError(docs: { source: string; text: string }[], limit = POLICY_INPUT_LIMITS.bytes): PolicyError | undefined {
  // UTF-8 has at least one byte per UTF-16 unit: a text longer than the limit is over it without encoding.
  const units = docs.reduce((n, d) => n + d.text.length, 0);
  const bytes = units > limit ? units : docs.reduce((n, d) => n + utf8.encode(d.text).byteLength, 0);
  if (bytes <= limit) return undefined;
  return {
    source: sourcesOf(docs),
    path: "",
    message: `policy input of ${units > limit ? "at least " : ""}${bytes} bytes is over the limit of ${limit} bytes: apply it in parts`,
  };
}

/** An error when there are more policies or rules than the limits allow. */
export function inputCountError(docs: { source: string }[], policies: Policy[], limits = POLICY_INPUT_LIMITS): PolicyError | undefined {
  if (policies.length > limits.policies)
    return {
      source: sourcesOf(docs),
      path: "",
      message: `${policies.length} policies in one input is over the limit of ${limits.policies}: apply them in parts`,
    };
  const rules = policies.reduce((n, p) => n + ruleCount(p), 0);
  if (rules > limits.rules)
    return {
      source: sourcesOf(docs),
      path: "",
      message: `${rules} rules in one input is over the limit of ${limits.rules}: apply them in parts`,
    };
  return undefined;
}
