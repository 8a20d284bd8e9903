// `flowlens endpoint add|list|delete`: endpoint management on a running collector.
import { Command } from "commander";
import type { CommandContext } from "../context.js";
import { endpointAddCommand } from "./endpoint-add.js";
import { endpointDeleteCommand } from "./endpoint-delete.js";
import { endpointListCommand } from "./endpoint-list.js";

export function endpointCommand(ctx: CommandContext): Command {
  return new Command("endpoint")
    .description("add, list or delete endpoints on a running collector")
    .addCommand(endpointAddCommand(ctx))
    .addCommand(endpointListCommand(ctx))
    .addCommand(endpointDeleteCommand(ctx));
}
