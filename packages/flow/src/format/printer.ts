// Streaming printer for `observe -o compact|dict|json|jsonpb|table`: routes each GetFlowsResponse to its format.
import type { GetFlowsResponse } from "@flowlens/proto";
import { formatCompact } from "./compact.js";
import { DICT_SEPARATOR, formatDict } from "./dict.js";
import { formatLostEvent, formatNodeStatus, formatNodeStatusDict, isNodeStatusWorthShowing } from "./events.js";
import { formatJson } from "./json.js";
import type { FormatOptions } from "./options.js";
import { alignColumns, tableHeader, tableRow } from "./table.js";

export const OUTPUT_FORMATS = ["compact", "dict", "json", "jsonpb", "table"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface PrinterOptions extends FormatOptions {
  format: OutputFormat;
  /** Where flows go (stdout). */
  write: (text: string) => void;
  /** Where node status goes (stderr, as Hubble does); defaults to write. */
  writeErr?: (text: string) => void;
  /** Show informational node status events too (--debug). */
  debug?: boolean;
}

export interface FlowPrinter {
  /** Prints one response (flow, node status or lost events). */
  write(res: GetFlowsResponse): void;
  /** Writes buffered table rows; call on exit and periodically in follow mode. */
  flush(): void;
}

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s);
}

export function createPrinter(opts: PrinterOptions): FlowPrinter {
  const out = opts.write;
  const err = opts.writeErr ?? opts.write;
  let blocks = 0; // dict blocks written, for separators
  let headerDone = false;
  let rows: string[][] = [];

  const dictBlock = (text: string, to: (t: string) => void) => {
    if (blocks > 0) out(`${DICT_SEPARATOR}\n`);
    blocks++;
    to(text);
  };

  return {
    write(res) {
      const r = res.responseTypes;
      if (r.case === "flow") {
        switch (opts.format) {
          case "compact":
            out(`${formatCompact(r.value, opts)}\n`);
            return;
          case "dict":
            dictBlock(formatDict(r.value, opts), out);
            return;
          case "json":
          case "jsonpb":
            out(`${formatJson(res)}\n`);
            return;
          case "table":
            if (!headerDone) {
              rows.push(tableHeader(opts));
              headerDone = true;
            }
            rows.push(tableRow(r.value, opts));
            return;
        }
      }
      if (r.case === "nodeStatus") {
        if (!isNodeStatusWorthShowing(r.value, opts.debug)) return;
        if (opts.format === "json" || opts.format === "jsonpb") err(`${formatJson(res)}\n`);
        else if (opts.format === "dict") dictBlock(formatNodeStatusDict(res, r.value, opts), err);
        else err(`${formatNodeStatus(res, r.value, opts)}\n`);
        return;
      }
      if (r.case === "lostEvents") {
        if (opts.format === "json" || opts.format === "jsonpb") out(`${formatJson(res)}\n`);
        else err(`${formatLostEvent(res, r.value, opts)}\n`);
      }
    },
    flush() {
      if (rows.length === 0) return;
      out(alignColumns(rows));
      rows = [];
      // Later batches keep their own alignment, like a flushed tabwriter; the header is printed once.
    },
  };
}
