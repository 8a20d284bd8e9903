// Dials the collector's flowlens.Endpoints service for the `endpoint` commands.
import { Endpoints, grpcServiceDefinition } from "@flowlens/proto";
import { type CommandContext, connectTimeoutMs, resolveServer, type ServerOpts } from "./context.js";
import { dial, unary } from "./transport.js";

const definition = grpcServiceDefinition(Endpoints);

/** Runs one unary Endpoints call ("AddEndpoint", "ListEndpoints", "DeleteEndpoint") against the collector. */
export async function callEndpoints<Res>(ctx: CommandContext, opts: ServerOpts, method: string, req: unknown): Promise<Res> {
  const server = resolveServer(opts, ctx, "collector");
  const conn = await dial(definition, server, { expect: "collector", timeoutMs: connectTimeoutMs(opts) });
  try {
    return await unary<unknown, Res>(conn, method, req);
  } finally {
    conn.close();
  }
}
