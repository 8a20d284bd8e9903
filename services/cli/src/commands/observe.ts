// `flowlens observe`: Hubble's observe flags → GetFlowsRequest; prints the stream in the chosen format.

import { toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createPrinter, isOutputFormat, OUTPUT_FORMATS, type OutputFormat } from "@flowlens/flow";
import { type GetFlowsRequest, GetFlowsRequestSchema, type GetFlowsResponse, observerServiceDefinition, registry } from "@flowlens/proto";
import { Command, Option } from "commander";
import { ApiUnreachableError } from "../api-client.js";
import { type ApiOpts, addApiOptions, resolveApi } from "../api-options.js";
import { addServerOptions, type CommandContext, connect, connectTimeoutMs, countArg, resolveServer, type ServerOpts } from "../context.js";
import { RuntimeError, UsageError } from "../errors.js";
import { historyFilterText } from "../history-filter.js";
import { readHistory } from "../history-reader.js";
import { liveOldestTime, liveRing, streamFlows } from "../live-stream.js";
import { BOOLEAN_FILTER_FLAGS, FILTER_FLAGS, FilterFlags } from "../observe-filters.js";
import { buildGetFlowsRequest, DEFAULT_LAST, type Selector } from "../observe-request.js";
import { historyQuery, isPlainLast, liveAfterHistory, needsHistory, SeamDedupe } from "../observe-source.js";
import { parseTimeFormat, TIME_FORMATS } from "../time-format.js";
import type { Connection } from "../transport.js";

const SHORT: Partial<Record<string, string>> = { namespace: "-n", label: "-l", type: "-t" };

/** How often buffered table rows are printed while following. */
const TABLE_FLUSH_MS = 1000;

interface ObserveOpts extends ServerOpts, ApiOpts, Selector {
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

type Printer = ReturnType<typeof createPrinter>;

/** Live only: the request as given, on the relay or collector. */
async function observeLive(ctx: CommandContext, opts: ObserveOpts, req: GetFlowsRequest, printer: Printer): Promise<void> {
  const conn = await connect(ctx, opts, "relay", observerServiceDefinition);
  const flushTimer = opts.output === "table" && opts.follow ? setInterval(() => printer.flush(), TABLE_FLUSH_MS) : undefined;
  try {
    await streamFlows(ctx, conn, req, (res) => printer.write(res));
  } finally {
    if (flushTimer) clearInterval(flushTimer);
    printer.flush();
    conn.close();
  }
}

/**
 * --since (or --last N): live when the ring still holds the start of the range (or N flows); else the API's
 * history, and with --follow live again from the last stored flow (deduplicated by uuid at the seam). With
 * --since and without --follow an unreachable live server is not needed: the history alone answers.
 */
async function observeRange(
  ctx: CommandContext,
  opts: ObserveOpts,
  filters: FilterFlags,
  req: GetFlowsRequest,
  now: Date,
  printer: Printer,
): Promise<void> {
  const api = resolveApi(opts, ctx.io.env);
  let conn: Connection | undefined;
  try {
    conn = await connect(ctx, opts, "relay", observerServiceDefinition);
  } catch (err) {
    // plain --last N cannot know whether the ring would have answered: the live server's error stands
    if (req.follow || !req.since || !(err instanceof RuntimeError)) throw err;
    ctx.err.line(`flowlens observe: ${err.message}; reading the flow history only`);
  }
  const flushTimer = opts.output === "table" && opts.follow ? setInterval(() => printer.flush(), TABLE_FLUSH_MS) : undefined;
  try {
    const ring = conn ? await liveRing(conn) : undefined;
    // A ring that never overwrote a flow holds the whole range: only a lapped one sends us to the history.
    const live =
      conn && ring && (ring.complete || (req.since ? !needsHistory(req.since, await liveOldestTime(conn)) : req.number <= ring.numFlows));
    if (conn && live) {
      await streamFlows(ctx, conn, req, (res) => printer.write(res));
      return;
    }
    let query: ReturnType<typeof historyQuery>;
    try {
      query = historyQuery(req, timestampFromDate(now), historyFilterText(filters.result()));
    } catch (err) {
      // A filter only live flows carry (e.g. event type): the live ring answers what it still holds.
      if (!conn) throw err;
      ctx.err.line(`flowlens observe: ${(err as Error).message}; showing what the live ring holds`);
      await streamFlows(ctx, conn, req, (res) => printer.write(res));
      return;
    }
    const seam = new SeamDedupe();
    let printed = false;
    const print = (res: GetFlowsResponse) => {
      printed = true;
      seam.history(res);
      printer.write(res);
    };
    try {
      if (query.order === "newest") {
        // --last N: the newest N, printed oldest first as Hubble does
        const newest: GetFlowsResponse[] = [];
        for await (const res of readHistory(api, query, ctx.signal)) newest.push(res);
        for (const res of newest.reverse()) print(res);
      } else {
        for await (const res of readHistory(api, query, ctx.signal)) {
          print(res);
          if (ctx.out.closed) return;
        }
      }
    } catch (err) {
      // Without the history service, Hubble's answer: what the live ring still holds.
      if (!(err instanceof ApiUnreachableError) || !conn || printed) throw err;
      ctx.err.line(`flowlens observe: ${err.message}; showing what the live ring holds`);
      await streamFlows(ctx, conn, req, (res) => printer.write(res));
      return;
    }
    printer.flush();
    if (req.follow && conn && !ctx.signal.aborted) {
      await streamFlows(ctx, conn, liveAfterHistory(req, seam.lastTime()), (res) => {
        if (seam.keep(res)) printer.write(res);
      });
    }
  } finally {
    if (flushTimer) clearInterval(flushTimer);
    printer.flush();
    conn?.close();
  }
}

export function observeCommand(ctx: CommandContext): Command {
  const filters = new FilterFlags();
  const cmd = new Command("observe")
    .description("observe flows of a Flowlens relay or collector (Hubble's observe flags)")
    .option(
      "--last <n>",
      `get the last N flows (default ${DEFAULT_LAST} unless --follow, --first, --since or --until; more than the ring holds: from flowlens-api)`,
      countArg("last"),
    )
    .option("--first <n>", "get the first N flows in the buffer", countArg("first"))
    .option("--all", "get every flow in the buffer")
    .option("-f, --follow", "keep printing new flows as they arrive")
    .option(
      "--since <time>",
      "flows since this time: a duration ago (5m, 2d) or RFC 3339; older than the live ring: from flowlens-api (--api)",
    )
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
  addApiOptions(cmd);
  cmd.action(async (opts: ObserveOpts) => {
    const now = new Date();
    const req = observeRequest(opts, filters, now);
    const time = parseTimeFormat(opts.timeFormat);
    resolveServer(opts, ctx, "relay"); // a bad --server is refused even with --print-request
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
    // an explicit --last N only (not the default 20): a fresh ring with a few flows stays live
    if (req.since || (opts.last !== undefined && isPlainLast(req))) await observeRange(ctx, opts, filters, req, now, printer);
    else await observeLive(ctx, opts, req, printer);
    await ctx.out.drain();
  });
  return cmd;
}
