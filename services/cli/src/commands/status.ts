// `flowlens status`: health check plus ServerStatus, printed like `hubble status`.

import { create } from "@bufbuild/protobuf";
import { observerServiceDefinition, ServerStatusRequestSchema, type ServerStatusResponse } from "@flowlens/proto";
import { status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { Command } from "commander";
import { addServerOptions, type CommandContext, connect, resolveServer, type ServerOpts } from "../context.js";
import { RuntimeError } from "../errors.js";
import { healthServiceDefinition, SERVING_STATUS } from "../health.js";
import { fixed2, formatCount } from "../output.js";
import { unary } from "../transport.js";

/** The status lines after the health check, as `hubble status` prints them. */
export function formatServerStatus(s: ServerStatusResponse): string[] {
  const pct = s.maxFlows > 0n ? (Number(s.numFlows) / Number(s.maxFlows)) * 100 : 0;
  const lines = [`Current/Max Flows: ${formatCount(s.numFlows)}/${formatCount(s.maxFlows)} (${fixed2(pct)}%)`];
  lines.push(`Flows/s: ${fixed2(s.flowsRate)}`);
  if (s.numConnectedNodes !== undefined) {
    const connected = s.numConnectedNodes;
    const unavailable = s.numUnavailableNodes ?? 0;
    lines.push(`Connected Nodes: ${connected}/${connected + unavailable}`);
    if (unavailable > 0) {
      lines.push(`Unavailable Nodes: ${unavailable}`);
      for (const n of s.unavailableNodes) lines.push(`  - ${n}`);
    }
  }
  return lines;
}

export function statusCommand(ctx: CommandContext): Command {
  const cmd = new Command("status").description("show the health and flow counts of a Flowlens relay or collector");
  addServerOptions(cmd, "relay");
  cmd.action(async (opts: ServerOpts) => {
    const server = resolveServer(opts, ctx, "relay");
    const definition = { ...healthServiceDefinition, ...observerServiceDefinition };
    const conn = await connect(ctx, opts, "relay", definition);
    try {
      let healthy = "Ok";
      try {
        const st = await unary<string, number>(conn, "Check", "observer.Observer");
        if (SERVING_STATUS[st] !== "SERVING") healthy = `Unavailable: ${SERVING_STATUS[st] ?? st}`;
      } catch (err) {
        // A server without the health service is judged by ServerStatus alone.
        if (!(err instanceof RuntimeError && (err.cause as ServiceError | undefined)?.code === grpcStatus.UNIMPLEMENTED)) throw err;
      }
      ctx.out.line(`Healthcheck (via ${server.display}): ${healthy}`);
      if (healthy !== "Ok") throw new RuntimeError(`${server.display} is not serving the Observer API: check the server's log`);
      const s = await unary<unknown, ServerStatusResponse>(conn, "ServerStatus", create(ServerStatusRequestSchema));
      for (const line of formatServerStatus(s)) ctx.out.line(line);
    } finally {
      conn.close();
    }
  });
  return cmd;
}
