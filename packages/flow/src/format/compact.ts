// Hubble's compact one-line flow format: "TIME [NODE]: SRC (ID) -> DST (ID) TYPE VERDICT (SUMMARY)".
import type { Flow } from "@flowlens/proto";
import { flowColumns } from "./fields.js";
import { type FormatOptions, resolveOptions } from "./options.js";

export function formatCompact(flow: Flow, options?: FormatOptions): string {
  const o = resolveOptions(options);
  const c = flowColumns(flow, o);
  let { src, dst, srcIdentity, dstIdentity } = c;
  let arrow = "->";
  if (flow.isReply === undefined) {
    arrow = "<>"; // direction unknown
  } else if (flow.isReply) {
    [src, dst] = [dst, src];
    [srcIdentity, dstIdentity] = [dstIdentity, srcIdentity];
    arrow = "<-";
  }
  const node = o.nodeName ? ` [${c.node}]` : "";
  return `${c.time}${node}: ${src} ${srcIdentity} ${arrow} ${dst} ${dstIdentity} ${c.type} ${c.verdict} (${c.summary})`;
}
