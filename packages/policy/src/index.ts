// @flowlens/policy: the one definition of policy semantics. The collector compiles kernel maps
// from it, the L7 proxy matches requests with it, and `flowlens policy trace` evaluates it.

export * from "./compiled.js";
export { formatPolicyError, type PolicyError } from "./errors.js";
export {
  cidrIdentities,
  endpointIdentity,
  identityLabels,
  isCidrIdentity,
  MIN_CIDR_IDENTITY,
  MIN_ENDPOINT_IDENTITY,
  ReservedIdentity,
  selectorLabels,
} from "./identity.js";
export { compileHttpPattern, httpRuleMatches, matchHttp } from "./l7.js";
export type * from "./model.js";
export { AUDIT_ANNOTATION, type PolicyDocument, parsePolicyDocuments } from "./parse.js";
export { type PortPrefix, portPrefixes } from "./ports.js";
export { describeSelector, NAMESPACE_LABEL, selectorMatches } from "./selector.js";
