// The columns every human-readable format prints for a flow (source, destination, type, verdict, summary).
import type { Flow } from "@flowlens/proto";
import { endpointNames, extensionText, flowSummary, flowType, identityText, policyNames, verdictText } from "./describe.js";
import type { FormatOptions } from "./options.js";

export interface FlowColumns {
  time: string;
  node: string;
  src: string;
  dst: string;
  srcIdentity: string;
  dstIdentity: string;
  type: string;
  verdict: string;
  summary: string;
}

function policySuffix(flow: Flow): string {
  const p = policyNames(flow);
  const parts: string[] = [];
  if (p.ingressAllowed.length) parts.push(`ingress-allowed-by: ${p.ingressAllowed.join(", ")}`);
  if (p.egressAllowed.length) parts.push(`egress-allowed-by: ${p.egressAllowed.join(", ")}`);
  if (p.ingressDenied.length) parts.push(`ingress-denied-by: ${p.ingressDenied.join(", ")}`);
  if (p.egressDenied.length) parts.push(`egress-denied-by: ${p.egressDenied.join(", ")}`);
  return parts.length ? `; Policies: ${parts.join("; ")}` : "";
}

function extSuffix(flow: Flow): string {
  const t = extensionText(flow);
  return t ? `; ${t}` : "";
}

export function flowColumns(flow: Flow, o: Required<FormatOptions>): FlowColumns {
  const { src, dst } = endpointNames(flow, o.ipTranslation);
  return {
    time: o.time(flow.time),
    node: flow.nodeName,
    src,
    dst,
    srcIdentity: identityText(flow.source?.identity),
    dstIdentity: identityText(flow.destination?.identity),
    type: flowType(flow),
    verdict: verdictText(flow),
    summary: flowSummary(flow) + (o.policyNames ? policySuffix(flow) : "") + (o.extensions ? extSuffix(flow) : ""),
  };
}
