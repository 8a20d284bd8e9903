// `flowlens endpoint add`: registers a netns + veth as an endpoint on a running collector.

import { create } from "@bufbuild/protobuf";
import { AddEndpointRequestSchema, type AddEndpointResponse } from "@flowlens/proto";
import { Command } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { callEndpoints } from "../endpoint-client.js";
import { UsageError } from "../errors.js";

interface AddOpts extends ServerOpts {
  name: string;
  namespace?: string;
  netns: string;
  interface: string;
  label: Record<string, string>;
  ip: string[];
  cgroup?: string;
}

function labelArg(value: string, prev: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key === "" || /\s/.test(key)) throw new UsageError(`invalid --label "${value}": use key=value`);
  return { ...prev, [key]: eq < 0 ? "" : value.slice(eq + 1) };
}

export function endpointAddCommand(ctx: CommandContext): Command {
  const cmd = new Command("add")
    .description("register an endpoint (a network namespace and its host-side veth) with the collector")
    .requiredOption("--name <name>", "endpoint (pod) name")
    .option("--namespace <ns>", "namespace (default: default)")
    .requiredOption("--netns <netns>", "network namespace: a name under /var/run/netns or a path")
    .requiredOption("--interface <if>", "host-side interface (veth) of the endpoint")
    .option("--label <key=value>", "label, repeatable", labelArg, {})
    .option("--ip <ip>", "IP address, repeatable (default: read from inside the netns)", (v: string, prev: string[]) => [...prev, v], [])
    .option("--cgroup <path>", "cgroup v2 path of the endpoint's processes");
  addServerOptions(cmd, "admin");
  cmd.action(async (opts: AddOpts) => {
    const req = create(AddEndpointRequestSchema, {
      endpoint: {
        name: opts.name,
        namespace: opts.namespace ?? "",
        netns: opts.netns,
        interface: opts.interface,
        labels: opts.label,
        ips: opts.ip,
        cgroup: opts.cgroup ?? "",
      },
    });
    const res = await callEndpoints<AddEndpointResponse>(ctx, opts, "AddEndpoint", req);
    const ep = res.endpoint;
    ctx.out.line(
      `added ${ep?.namespace}/${ep?.name} (ID ${ep?.id}, identity ${ep?.identity}, ${ep?.interface}, ${ep?.ips.join(",") || "no IPs"})`,
    );
  });
  return cmd;
}
