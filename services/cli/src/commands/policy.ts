// `flowlens policy apply|list|get|delete|trace`: network policy on a running collector.
import { Command } from "commander";
import type { CommandContext } from "../context.js";
import { policyApplyCommand } from "./policy-apply.js";
import { policyDeleteCommand } from "./policy-delete.js";
import { policyGetCommand } from "./policy-get.js";
import { policyListCommand } from "./policy-list.js";
import { policyTraceCommand } from "./policy-trace.js";

export function policyCommand(ctx: CommandContext): Command {
  return new Command("policy")
    .description("apply, list, get, delete and trace CiliumNetworkPolicies on a running collector")
    .addCommand(policyApplyCommand(ctx))
    .addCommand(policyListCommand(ctx))
    .addCommand(policyGetCommand(ctx))
    .addCommand(policyDeleteCommand(ctx))
    .addCommand(policyTraceCommand(ctx));
}
