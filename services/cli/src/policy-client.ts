// Calls the collector's flowlens.Policies service for the `policy` commands.
import { grpcServiceDefinition, Policies } from "@flowlens/proto";
import { type CommandContext, callOnce, type ServerOpts } from "./context.js";

const definition = grpcServiceDefinition(Policies);

/** Runs one unary Policies call ("Apply", "List", "Get", "Delete", "Trace") against the collector. */
export function callPolicies<Res>(ctx: CommandContext, opts: ServerOpts, method: string, req: unknown): Promise<Res> {
  return callOnce<Res>(ctx, opts, "collector", definition, method, req);
}
