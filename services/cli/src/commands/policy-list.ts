// `flowlens policy list`: the collector's policies as a table (or JSON).
import { create, toJson } from "@bufbuild/protobuf";
import { ListPoliciesRequestSchema, type ListPoliciesResponse, ListPoliciesResponseSchema } from "@flowlens/proto";
import { Command, Option } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { UsageError } from "../errors.js";
import { formatAge, renderTable } from "../output.js";
import { callPolicies } from "../policy-client.js";

export function formatPolicies(res: ListPoliciesResponse, nowMs = Date.now()): string {
  const rows = res.policies.map((p) => {
    const appliedMs = p.appliedAt ? Number(p.appliedAt.seconds) * 1000 + p.appliedAt.nanos / 1e6 : 0;
    return [
      p.namespace || "-",
      p.name,
      p.kind,
      String(p.rules),
      p.audit ? "yes" : "no",
      String(p.revision),
      appliedMs ? formatAge(BigInt(Math.max(0, Math.round(nowMs - appliedMs))) * 1_000_000n) : "-",
      p.origin === "api" ? "api" : `file ${p.origin}`,
    ];
  });
  return renderTable(["NAMESPACE", "NAME", "KIND", "RULES", "AUDIT", "REVISION", "AGE", "SOURCE"], rows);
}

export function policyListCommand(ctx: CommandContext): Command {
  const cmd = new Command("list").description("list the policies applied on the collector").addOption(
    new Option("-o, --output <format>", "output format: table, json").default("table").argParser((v: string) => {
      if (v !== "table" && v !== "json") throw new UsageError(`unknown --output "${v}": use table or json`);
      return v;
    }),
  );
  addServerOptions(cmd, "collector");
  cmd.action(async (opts: ServerOpts & { output: string }) => {
    const res = await callPolicies<ListPoliciesResponse>(ctx, opts, "List", create(ListPoliciesRequestSchema));
    if (opts.output === "json") ctx.out.line(JSON.stringify(toJson(ListPoliciesResponseSchema, res, { useProtoFieldName: true })));
    else ctx.out.write(formatPolicies(res));
  });
  return cmd;
}
