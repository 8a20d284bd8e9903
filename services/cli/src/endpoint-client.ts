// Calls the collector's flowlens.Endpoints service for the `endpoint` commands: add and delete on
// its admin socket (by default), list on its listener.
import { Endpoints, grpcServiceDefinition, MUTATING_METHODS } from "@flowlens/proto";
import { type CommandContext, callOnce, type ServerOpts } from "./context.js";

const definition = grpcServiceDefinition(Endpoints);
const mutating: readonly string[] = MUTATING_METHODS.Endpoints;

/** Runs one unary Endpoints call ("AddEndpoint", "ListEndpoints", "DeleteEndpoint") against the collector. */
export function callEndpoints<Res>(ctx: CommandContext, opts: ServerOpts, method: string, req: unknown): Promise<Res> {
  return callOnce<Res>(ctx, opts, mutating.includes(method) ? "admin" : "collector", definition, method, req);
}
