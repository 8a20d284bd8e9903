// Calls the collector's flowlens.Policies service for the `policy` commands: Apply and Delete on
// its admin socket (by default), the read-only calls on its listener.
import { grpcServiceDefinition, MUTATING_METHODS, Policies } from "@flowlens/proto";
import { type CommandContext, callOnce, type ServerOpts } from "./context.js";

const definition = grpcServiceDefinition(Policies);
const mutating: readonly string[] = MUTATING_METHODS.Policies;

/** Runs one unary Policies call ("Apply", "List", "Get", "Delete", "Trace") against the collector. */
export function callPolicies<Res>(ctx: CommandContext, opts: ServerOpts, method: string, req: unknown): Promise<Res> {
  return callOnce<Res>(ctx, opts, mutating.includes(method) ? "admin" : "collector", definition, method, req);
}
