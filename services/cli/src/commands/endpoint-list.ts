// `flowlens endpoint list`: the collector's endpoints as a table (or JSON).

import { create, toJson } from "@bufbuild/protobuf";
import { ListEndpointsRequestSchema, type ListEndpointsResponse, ListEndpointsResponseSchema } from "@flowlens/proto";
import { Command, Option } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { callEndpoints } from "../endpoint-client.js";
import { UsageError } from "../errors.js";
import { renderTable } from "../output.js";

export function formatEndpoints(res: ListEndpointsResponse): string {
  const rows = [...res.endpoints]
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map((e) => [
      e.namespace,
      e.name,
      String(e.id),
      String(e.identity),
      e.interface,
      e.netns,
      e.ips.join(",") || "-",
      Object.entries(e.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(",") || "-",
    ]);
  return renderTable(["NAMESPACE", "NAME", "ID", "IDENTITY", "INTERFACE", "NETNS", "IPS", "LABELS"], rows);
}

export function endpointListCommand(ctx: CommandContext): Command {
  const cmd = new Command("list").description("list the endpoints the collector observes").addOption(
    new Option("-o, --output <format>", "output format: table, json").default("table").argParser((v: string) => {
      if (v !== "table" && v !== "json") throw new UsageError(`unknown --output "${v}": use table or json`);
      return v;
    }),
  );
  addServerOptions(cmd, "collector");
  cmd.action(async (opts: ServerOpts & { output: string }) => {
    const res = await callEndpoints<ListEndpointsResponse>(ctx, opts, "ListEndpoints", create(ListEndpointsRequestSchema));
    if (opts.output === "json") ctx.out.line(JSON.stringify(toJson(ListEndpointsResponseSchema, res, { useProtoFieldName: true })));
    else ctx.out.write(formatEndpoints(res));
  });
  return cmd;
}
