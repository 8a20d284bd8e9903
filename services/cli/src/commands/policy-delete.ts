// `flowlens policy delete NAME [-n NS]`: removes a policy; enforced when the command returns.
import { create } from "@bufbuild/protobuf";
import { DeletePolicyRequestSchema, type DeletePolicyResponse } from "@flowlens/proto";
import { Command } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { callPolicies } from "../policy-client.js";
import { kindOption, type PolicyRefOpts, policyRef, policyRequest } from "./policy-ref.js";

export function policyDeleteCommand(ctx: CommandContext): Command {
  const cmd = new Command("delete").description("delete a policy applied through the API").argument("<name>", "policy name");
  kindOption(cmd);
  addServerOptions(cmd, "admin");
  cmd.action(async (name: string, opts: ServerOpts & PolicyRefOpts) => {
    const res = await callPolicies<DeletePolicyResponse>(ctx, opts, "Delete", create(DeletePolicyRequestSchema, policyRequest(name, opts)));
    ctx.out.line(`deleted ${res.deleted ? policyRef(res.deleted) : name} (revision ${res.revision})`);
  });
  return cmd;
}
