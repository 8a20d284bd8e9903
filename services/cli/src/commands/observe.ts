// `flowlens observe`: Hubble's observe flags → GetFlowsRequest; prints the stream in the chosen format.

import { toJson } from "@bufbuild/protobuf";
import { createPrinter, isOutputFormat, OUTPUT_FORMATS, type OutputFormat } from "@flowlens/flow";
import { type GetFlowsRequest, GetFlowsRequestSchema, type GetFlowsResponse, observerServiceDefinition, registry } from "@flowlens/proto";
import type { ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { Command, Option } from "commander";
import { addServerOptions, type CommandContext, connect, connectTimeoutMs, countArg, resolveServer, type ServerOpts } from "../context.js";
import { UsageError } from "../errors.js";
import { BOOLEAN_FILTER_FLAGS, FILTER_FLAGS, FilterFlags } from "../observe-filters.js";
import { buildGetFlowsRequest, DEFAULT_LAST, type Selector } from "../observe-request.js";
import { parseTimeFormat, TIME_FORMATS } from "../time-format.js";
import { rpcError, serverStream } from "../transport.js";

const SHORT: Partial<Record<string, string>> = { namespace: "-n", label: "-l", type: "-t" };

/** How often buffered table rows are printed while following. */
const TABLE_FLUSH_MS = 1000;

interface ObserveOpts extends ServerOpts, Selector {
  output: OutputFormat;
  printNodeName?: boolean;
  timeFormat: string;
  numeric?: boolean;
  printPolicyNames?: boolean;
  printRequest?: boolean;
}

function outputFormat(value: string): OutputFormat {
  if (!isOutputFormat(value)) throw new UsageError(`unknown --output "${value}": use one of ${OUTPUT_FORMATS.join(", ")}`);
  return value;
}

/** Adds the filter flags; values go to `filters` in command-line order so --not applies to the next one. */
function addFilterOptions(cmd: Command, filters: FilterFlags): void {
  cmd.addOption(new Option("--not", "negate the next filter flag, e.g. --not --verdict DROPPED"));
  cmd.on("option:not", () => filters.not());
  for (const [name, desc] of FILTER_FLAGS) {
    const short = SHORT[name];
    const long = `--${name}`;
    if (BOOLEAN_FILTER_FLAGS.has(name)) {
      cmd.addOption(new Option(long, desc));
      cmd.on(`option:${name}`, () => filters.set(name, ""));
      continue;
    }
    const opt = new Option(`${short ? `${short}, ` : ""}${long} <value>`, desc).argParser((v: string) => {
      filters.set(name, v);
      return v;
    });
    cmd.addOption(opt);
  }
}

/** Builds the request from parsed options; exported for the table tests. */
export function observeRequest(opts: ObserveOpts, filters: FilterFlags, now = new Date()): GetFlowsRequest {
  return buildGetFlowsRequest(opts, filters.result(), now);
}

export function observeCommand(ctx: CommandContext): Command {
  const filters = new FilterFlags();
  const cmd = new Command("observe")
    .description("observe flows of a Flowlens relay or collector (Hubble's observe flags)")
    .option("--last <n>", `get the last N flows (default ${DEFAULT_LAST} unless --follow, --first, --since or --until)`, countArg("last"))
    .option("--first <n>", "get the first N flows in the buffer", countArg("first"))
    .option("--all", "get every flow in the buffer")
    .option("-f, --follow", "keep printing new flows as they arrive")
    .option("--since <time>", "flows since this time: a duration ago (5m, 1h30m) or RFC 3339")
    .option("--until <time>", "flows until this time: a duration ago (5m, 1h30m) or RFC 3339 (ignored with --follow)");
  addFilterOptions(cmd, filters);
  cmd
    .addOption(
      new Option("-o, --output <format>", `output format: ${OUTPUT_FORMATS.join(", ")}`).default("compact").argParser(outputFormat),
    )
    .option("--print-node-name", "print the node name in each line")
    .option("--print-policy-names", "print the policies that allowed or denied each flow")
    .option("--numeric", "print IP addresses instead of pod names")
    .option("--time-format <layout>", `timestamp layout: ${Object.keys(TIME_FORMATS).join(", ")}`, "StampMilli")
    .addOption(new Option("--print-request", "print the GetFlowsRequest as JSON instead of sending it").hideHelp());
  addServerOptions(cmd, "relay");
  cmd.action(async (opts: ObserveOpts) => {
    const req = observeRequest(opts, filters);
    const time = parseTimeFormat(opts.timeFormat);
    const server = resolveServer(opts, ctx, "relay");
    connectTimeoutMs(opts); // a bad --timeout is refused even with --print-request
    if (opts.printRequest) {
      ctx.out.line(JSON.stringify(toJson(GetFlowsRequestSchema, req, { useProtoFieldName: true, registry })));
      return;
    }
    const printer = createPrinter({
      format: opts.output,
      write: (t) => ctx.out.write(t),
      writeErr: (t) => ctx.err.write(t),
      nodeName: opts.printNodeName ?? false,
      policyNames: opts.printPolicyNames ?? false,
      ipTranslation: !opts.numeric,
      time,
    });
    if (ctx.signal.aborted) return;
    const conn = await connect(ctx, opts, "relay", observerServiceDefinition);
    const flushTimer = opts.output === "table" && opts.follow ? setInterval(() => printer.flush(), TABLE_FLUSH_MS) : undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const call = serverStream<GetFlowsRequest, GetFlowsResponse>(conn, "GetFlows", req);
        const stop = () => call.cancel();
        ctx.signal.addEventListener("abort", stop, { once: true });
        call.on("data", (res: GetFlowsResponse) => {
          printer.write(res);
          if (ctx.out.closed) stop();
        });
        call.on("end", resolve);
        call.on("error", (err: ServiceError) => {
          ctx.signal.removeEventListener("abort", stop);
          // Cancelled by us (Ctrl-C or a closed pipe) is a normal way to stop.
          if (err.code === status.CANCELLED && (ctx.signal.aborted || ctx.out.closed)) resolve();
          else reject(rpcError(err, server, "GetFlows"));
        });
        call.on("close", () => ctx.signal.removeEventListener("abort", stop));
      });
    } finally {
      if (flushTimer) clearInterval(flushTimer);
      printer.flush();
      conn.close();
    }
    await ctx.out.drain();
  });
  return cmd;
}
