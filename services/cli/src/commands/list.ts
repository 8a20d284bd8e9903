// `flowlens list nodes|namespaces`: GetNodes / GetNamespaces as tables (or JSON), like `hubble list`.

import { create, toJson } from "@bufbuild/protobuf";
import {
  GetNamespacesRequestSchema,
  type GetNamespacesResponse,
  GetNamespacesResponseSchema,
  GetNodesRequestSchema,
  type GetNodesResponse,
  GetNodesResponseSchema,
  type Node,
  NodeState,
  observerServiceDefinition,
  registry,
} from "@flowlens/proto";
import { Command, Option } from "commander";
import { addServerOptions, type CommandContext, callOnce, type ServerOpts } from "../context.js";
import { UsageError } from "../errors.js";
import { fixed2, formatAge, renderTable } from "../output.js";

interface ListOpts extends ServerOpts {
  output: "table" | "json";
}

const STATE_TEXT: Record<number, string> = {
  [NodeState.NODE_CONNECTED]: "Connected",
  [NodeState.NODE_UNAVAILABLE]: "Unavailable",
  [NodeState.NODE_GONE]: "Gone",
  [NodeState.NODE_ERROR]: "Error",
};

function listFormat(value: string): "table" | "json" {
  if (value !== "table" && value !== "json") throw new UsageError(`unknown --output "${value}": use table or json`);
  return value;
}

/** One row of `list nodes`: NAME STATUS AGE FLOWS/S CURRENT/MAX-FLOWS. */
export function nodeRow(n: Node): string[] {
  const connected = n.state === NodeState.NODE_CONNECTED;
  const uptimeS = Number(n.uptimeNs) / 1e9;
  const rate = uptimeS > 0 ? Number(n.seenFlows) / uptimeS : 0;
  const pct = n.maxFlows > 0n ? (Number(n.numFlows) / Number(n.maxFlows)) * 100 : 0;
  return [
    n.name,
    STATE_TEXT[n.state] ?? "Unknown",
    connected ? formatAge(n.uptimeNs) : "N/A",
    connected ? fixed2(rate) : "N/A",
    connected ? `${String(n.numFlows).padStart(5)}/${String(n.maxFlows).padStart(5)} (${pct.toFixed(2).padStart(6)}%)` : "N/A",
  ];
}

export function formatNodes(res: GetNodesResponse): string {
  const nodes = [...res.nodes].sort((a, b) => a.name.localeCompare(b.name));
  return renderTable(["NAME", "STATUS", "AGE", "FLOWS/S", "CURRENT/MAX-FLOWS"], nodes.map(nodeRow));
}

export function formatNamespaces(res: GetNamespacesResponse): string {
  const withCluster = res.namespaces.some((n) => n.cluster !== "");
  const rows = [...res.namespaces]
    .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.namespace.localeCompare(b.namespace))
    .map((n) => (withCluster ? [n.cluster, n.namespace] : [n.namespace]));
  return renderTable(withCluster ? ["CLUSTER", "NAMESPACE"] : ["NAMESPACE"], rows);
}

function listSubcommand(name: string, description: string, run: (opts: ListOpts) => Promise<void>): Command {
  const cmd = new Command(name)
    .description(description)
    .addOption(new Option("-o, --output <format>", "output format: table, json").default("table").argParser(listFormat));
  addServerOptions(cmd, "relay");
  return cmd.action(run);
}

export function listCommand(ctx: CommandContext): Command {
  const withObserver = <T>(opts: ListOpts, method: string, req: unknown): Promise<T> =>
    callOnce<T>(ctx, opts, "relay", observerServiceDefinition, method, req);
  return new Command("list")
    .description("list nodes or namespaces known to a Flowlens relay or collector")
    .addCommand(
      listSubcommand("nodes", "list the nodes and their flow counts", async (opts) => {
        const res = await withObserver<GetNodesResponse>(opts, "GetNodes", create(GetNodesRequestSchema));
        if (opts.output === "json")
          ctx.out.line(JSON.stringify(toJson(GetNodesResponseSchema, res, { registry, useProtoFieldName: true })));
        else ctx.out.write(formatNodes(res));
      }),
    )
    .addCommand(
      listSubcommand("namespaces", "list the namespaces seen in recent flows", async (opts) => {
        const res = await withObserver<GetNamespacesResponse>(opts, "GetNamespaces", create(GetNamespacesRequestSchema));
        if (opts.output === "json") {
          ctx.out.line(JSON.stringify(toJson(GetNamespacesResponseSchema, res, { registry, useProtoFieldName: true })));
        } else ctx.out.write(formatNamespaces(res));
      }),
    );
}
