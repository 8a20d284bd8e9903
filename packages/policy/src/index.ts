// @flowlens/policy: the one definition of policy semantics. The collector compiles kernel maps
// from it, the L7 proxy matches requests with it, and `flowlens policy trace` evaluates it.

export {
  type PolicyCase,
  type PolicyCaseEndpoint,
  type PolicyCasePeer,
  policyCaseEndpoints,
  policyCaseIdentity,
  policyCases,
  policyCaseWorldAddresses,
  tracePolicyCase,
} from "./cases.js";
export { type CompileOptions, compilePolicies, IPPROTO_TCP, IPPROTO_UDP } from "./compile.js";
export * from "./compiled.js";
export { describeRef } from "./describe.js";
export { formatPolicyError, type PolicyError } from "./errors.js";
export { normalizeRequestTarget, type RequestTarget } from "./http-target.js";
export {
  addressIdentity,
  cidrIdentities,
  endpointIdentity,
  identityLabels,
  isCidrIdentity,
  MIN_CIDR_IDENTITY,
  MIN_ENDPOINT_IDENTITY,
  ReservedIdentity,
  selectorLabels,
} from "./identity.js";
export { IPCACHE_KEY_SIZE, ipcacheKey } from "./ipcache-key.js";
export { compileHttpPattern, httpRuleMatches, matchHttp } from "./l7.js";
export { labelKeyError, labelValueError } from "./labels.js";
export { inputCountError, inputSizeError, POLICY_INPUT_LIMITS, ruleCount } from "./limits.js";
export {
  type Decision,
  entryMatchType,
  entryPrefixLen,
  type LookupQuery,
  l4Match,
  l7PortOf,
  lookup,
  MatchType,
  subjectState,
} from "./lookup.js";
export type * from "./model.js";
export { AUDIT_ANNOTATION, type PolicyDocument, parsePolicyDocuments } from "./parse.js";
export { type PortPrefix, portMask, portPrefixes } from "./ports.js";
export { describeSelector, NAMESPACE_LABEL, selectorMatches } from "./selector.js";
export { type TraceEndpoint, type TraceQuery, type TraceResult, tracePolicy } from "./trace.js";
