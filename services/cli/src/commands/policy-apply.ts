// `flowlens policy apply -f FILE|DIR|-`: sends the documents; the collector applies all of them or,
// when any is invalid, none, and the errors are printed one per line.
import { create } from "@bufbuild/protobuf";
import { ApplyPoliciesRequestSchema, type ApplyPoliciesResponse, type PolicyError, type PolicySummary } from "@flowlens/proto";
import { Command } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { RuntimeError, UsageError } from "../errors.js";
import { callPolicies } from "../policy-client.js";
import { readPolicyInputs } from "../policy-input.js";
import { policyRef } from "./policy-ref.js";

interface ApplyOpts extends ServerOpts {
  file: string[];
}

/** `file:line: path: reason`, as the collector logs it. */
export function formatPolicyError(e: PolicyError): string {
  const where = e.line ? `${e.file}:${e.line}` : e.file || "(input)";
  return e.path ? `${where}: ${e.path}: ${e.reason}` : `${where}: ${e.reason}`;
}

export function appliedLine(p: PolicySummary): string {
  const rules = `${p.rules} rule${p.rules === 1 ? "" : "s"}`;
  return `applied ${policyRef(p)} (${p.kind}, ${rules}, revision ${p.revision}${p.audit ? ", audit mode" : ""})`;
}

export function policyApplyCommand(ctx: CommandContext): Command {
  const cmd = new Command("apply")
    .description("apply CiliumNetworkPolicy YAML: nothing is applied when any document is invalid")
    .option(
      "-f, --file <path>",
      "a file, a directory (*.yaml, *.yml, *.json) or - for stdin; repeatable",
      (v: string, prev: string[]) => [...prev, v],
      [],
    );
  addServerOptions(cmd, "admin");
  cmd.action(async (opts: ApplyOpts) => {
    if (opts.file.length === 0) throw new UsageError("-f FILE|DIR|- is required");
    const documents = await readPolicyInputs(opts.file, ctx.io.stdin);
    const res = await callPolicies<ApplyPoliciesResponse>(ctx, opts, "Apply", create(ApplyPoliciesRequestSchema, { documents }));
    if (res.errors.length > 0) {
      for (const e of res.errors) ctx.err.line(formatPolicyError(e));
      throw new RuntimeError(`rejected: ${res.errors.length} error${res.errors.length === 1 ? "" : "s"}, nothing applied`);
    }
    for (const p of res.applied) ctx.out.line(appliedLine(p));
  });
  return cmd;
}
