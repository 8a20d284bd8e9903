// Hubble's dict format: one "KEY: value" block per flow, blocks separated by a dashed line.
import type { Flow } from "@flowlens/proto";
import { flowColumns } from "./fields.js";
import { type FormatOptions, resolveOptions } from "./options.js";

export const DICT_SEPARATOR = "------------";

/** The block for one flow, without the separator (lines end with "\n"). */
export function formatDict(flow: Flow, options?: FormatOptions): string {
  const o = resolveOptions(options);
  const c = flowColumns(flow, o);
  let out = `  TIMESTAMP: ${c.time}\n`;
  if (o.nodeName) out += `       NODE: ${c.node}\n`;
  out += `     SOURCE: ${c.src}\n`;
  out += `DESTINATION: ${c.dst}\n`;
  out += `       TYPE: ${c.type}\n`;
  out += `    VERDICT: ${c.verdict}\n`;
  out += `    SUMMARY: ${c.summary}\n`;
  return out;
}
