// Calls the collector's flowlens.Endpoints service for the `endpoint` commands.
import { Endpoints, grpcServiceDefinition } from "@flowlens/proto";
import { type CommandContext, callOnce, type ServerOpts } from "./context.js";

const definition = grpcServiceDefinition(Endpoints);

/** Runs one unary Endpoints call ("AddEndpoint", "ListEndpoints", "DeleteEndpoint") against the collector. */
export function callEndpoints<Res>(ctx: CommandContext, opts: ServerOpts, method: string, req: unknown): Promise<Res> {
  return callOnce<Res>(ctx, opts, "collector", definition, method, req);
}
