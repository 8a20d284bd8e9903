// `flowlens policy trace`: the verdict for a connection between two local endpoints and the rule
// that decides it, computed by the collector from the same compilation the kernel maps hold.
import { create } from "@bufbuild/protobuf";
import { TracePolicyRequestSchema, type TracePolicyResponse } from "@flowlens/proto";
import { Command, Option } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { UsageError } from "../errors.js";
import { callPolicies } from "../policy-client.js";
import { policyRef } from "./policy-ref.js";

interface TraceOpts extends ServerOpts {
  fromPod: string;
  toPod: string;
  dport: number;
  protocol: string;
  httpMethod?: string;
  httpPath?: string;
}

const POD = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function podArg(flag: string) {
  return (v: string): string => {
    if (!POD.test(v)) throw new UsageError(`invalid --${flag} "${v}": use NAMESPACE/NAME`);
    return v;
  };
}

function portArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`invalid --dport "${v}": a port 1-65535`);
  return n;
}

function protocolArg(v: string): string {
  const p = v.toUpperCase();
  if (p !== "TCP" && p !== "UDP") throw new UsageError(`invalid --protocol "${v}": use TCP or UDP`);
  return p;
}

export function traceText(res: TracePolicyResponse): string {
  const lines = [...res.lines];
  if (res.policies.length) lines.push(`Policies: ${res.policies.map((p) => `${policyRef(p)} (${p.kind})`).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

export function policyTraceCommand(ctx: CommandContext): Command {
  const cmd = new Command("trace")
    .description("show the verdict for a connection between two endpoints and the rule that decides it")
    .addOption(new Option("--from-pod <ns/name>", "client endpoint").argParser(podArg("from-pod")).makeOptionMandatory())
    .addOption(new Option("--to-pod <ns/name>", "server endpoint").argParser(podArg("to-pod")).makeOptionMandatory())
    .addOption(new Option("--dport <port>", "destination port").argParser(portArg).makeOptionMandatory())
    .addOption(new Option("--protocol <proto>", "TCP or UDP").argParser(protocolArg).default("TCP"))
    .option("--http-method <method>", "HTTP method, checked against the port's L7 rules (with --http-path)")
    .option("--http-path <path>", "HTTP path, checked against the port's L7 rules (with --http-method)");
  addServerOptions(cmd, "collector");
  cmd.action(async (opts: TraceOpts) => {
    if ((opts.httpMethod === undefined) !== (opts.httpPath === undefined))
      throw new UsageError("--http-method and --http-path go together: give both or neither");
    const req = create(TracePolicyRequestSchema, {
      fromPod: opts.fromPod,
      toPod: opts.toPod,
      dport: opts.dport,
      protocol: opts.protocol,
      httpMethod: opts.httpMethod ?? "",
      httpPath: opts.httpPath ?? "",
    });
    const res = await callPolicies<TracePolicyResponse>(ctx, opts, "Trace", req);
    ctx.out.write(traceText(res));
  });
  return cmd;
}
