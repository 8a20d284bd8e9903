// `flowlens endpoint delete NS/NAME`: stops observing an endpoint on the collector.

import { create } from "@bufbuild/protobuf";
import { DeleteEndpointRequestSchema, type DeleteEndpointResponse } from "@flowlens/proto";
import { Command } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { callEndpoints } from "../endpoint-client.js";
import { UsageError } from "../errors.js";

/** "ns/name" or "name" (namespace "default"). */
export function parseEndpointRef(ref: string): { namespace: string; name: string } {
  const parts = ref.split("/");
  const [a = "", b] = parts;
  if (parts.length > 2 || a === "" || b === "") throw new UsageError(`invalid endpoint "${ref}": use NAMESPACE/NAME or NAME`);
  return b === undefined ? { namespace: "default", name: a } : { namespace: a, name: b };
}

export function endpointDeleteCommand(ctx: CommandContext): Command {
  const cmd = new Command("delete").description("remove an endpoint from the collector").argument("<endpoint>", "NAMESPACE/NAME");
  addServerOptions(cmd, "admin");
  cmd.action(async (ref: string, opts: ServerOpts) => {
    const req = create(DeleteEndpointRequestSchema, parseEndpointRef(ref));
    const res = await callEndpoints<DeleteEndpointResponse>(ctx, opts, "DeleteEndpoint", req);
    ctx.out.line(`deleted ${res.endpoint?.namespace}/${res.endpoint?.name}`);
  });
  return cmd;
}
