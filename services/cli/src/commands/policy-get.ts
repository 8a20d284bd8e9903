// `flowlens policy get NAME [-n NS]`: prints the policy's YAML as it was applied.
import { create } from "@bufbuild/protobuf";
import { GetPolicyRequestSchema, type GetPolicyResponse } from "@flowlens/proto";
import { Command } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { callPolicies } from "../policy-client.js";
import { kindOption, type PolicyRefOpts, policyRequest } from "./policy-ref.js";

export function policyGetCommand(ctx: CommandContext): Command {
  const cmd = new Command("get").description("print a policy's YAML as applied").argument("<name>", "policy name");
  kindOption(cmd);
  addServerOptions(cmd, "collector");
  cmd.action(async (name: string, opts: ServerOpts & PolicyRefOpts) => {
    const res = await callPolicies<GetPolicyResponse>(ctx, opts, "Get", create(GetPolicyRequestSchema, policyRequest(name, opts)));
    ctx.out.write(res.yaml.endsWith("\n") ? res.yaml : `${res.yaml}\n`);
  });
  return cmd;
}
