// Options shared by every output format.
import { stampMilli, type TimeLayout } from "./timestamp.js";

export interface FormatOptions {
  /** Print the node name ("--print-node-name"). */
  nodeName?: boolean;
  /** Show pod/service/DNS names instead of IPs (Hubble's --ip-translation, default true). */
  ipTranslation?: boolean;
  /** Append the policies that allowed or denied the flow ("--print-policy-names"). */
  policyNames?: boolean;
  /** Append Flowlens extension data (packets, bytes, RTT, process) to the summary. */
  extensions?: boolean;
  /** Timestamp layout; default Go's StampMilli in UTC. */
  time?: TimeLayout;
}

export function resolveOptions(o: FormatOptions = {}): Required<FormatOptions> {
  return {
    nodeName: o.nodeName ?? false,
    ipTranslation: o.ipTranslation ?? true,
    policyNames: o.policyNames ?? false,
    extensions: o.extensions ?? false,
    time: o.time ?? stampMilli,
  };
}
