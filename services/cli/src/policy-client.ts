// Dials the collector's flowlens.Policies service for the `policy` commands.
import { grpcServiceDefinition, Policies } from "@flowlens/proto";
import { type CommandContext, connectTimeoutMs, resolveServer, type ServerOpts } from "./context.js";
import { dial, unary } from "./transport.js";

const definition = grpcServiceDefinition(Policies);

/** Runs one unary Policies call ("Apply", "List", "Get", "Delete", "Trace") against the collector. */
export async function callPolicies<Res>(ctx: CommandContext, opts: ServerOpts, method: string, req: unknown): Promise<Res> {
  const server = resolveServer(opts, ctx, "collector");
  const conn = await dial(definition, server, { expect: "collector", timeoutMs: connectTimeoutMs(opts) });
  try {
    return await unary<unknown, Res>(conn, method, req);
  } finally {
    conn.close();
  }
}
