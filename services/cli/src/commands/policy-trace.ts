// `flowlens policy trace`: the verdict for a connection and the rule that decides it, computed by the
// collector from the same compilation the kernel maps hold. Each side is a local endpoint (--from-pod),
// an address (--from-ip: the collector resolves it as the kernel does) or an identity (--from-identity).

import { isIP } from "node:net";
import { create } from "@bufbuild/protobuf";
import { TracePolicyRequestSchema, type TracePolicyResponse } from "@flowlens/proto";
import { Command, Option } from "commander";
import { addServerOptions, type CommandContext, type ServerOpts } from "../context.js";
import { UsageError } from "../errors.js";
import { callPolicies } from "../policy-client.js";
import { policyRef } from "./policy-ref.js";

interface TraceOpts extends ServerOpts {
  fromPod?: string;
  toPod?: string;
  fromIp?: string;
  toIp?: string;
  fromIdentity?: number;
  toIdentity?: number;
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

function ipArg(flag: string) {
  return (v: string): string => {
    if (!isIP(v)) throw new UsageError(`invalid --${flag} "${v}": use an IPv4 or IPv6 address`);
    return v;
  };
}

function identityArg(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < 1 || n > 0xffffffff)
      throw new UsageError(`invalid --${flag} "${v}": a security identity 1-4294967295 (1 = host, 2 = world)`);
    return n;
  };
}

/** Exactly one of --<side>-pod, --<side>-ip and --<side>-identity. */
function checkSide(side: "from" | "to", opts: TraceOpts): void {
  const given = side === "from" ? [opts.fromPod, opts.fromIp, opts.fromIdentity] : [opts.toPod, opts.toIp, opts.toIdentity];
  const n = given.filter((x) => x !== undefined).length;
  if (n !== 1)
    throw new UsageError(`give exactly one of --${side}-pod, --${side}-ip and --${side}-identity (${n === 0 ? "none" : n} given)`);
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
    .description("show the verdict for a connection and the rule that decides it (each side: a pod, an IP or an identity)")
    .addOption(new Option("--from-pod <ns/name>", "client endpoint").argParser(podArg("from-pod")))
    .addOption(new Option("--from-ip <addr>", "client address (a pod's, the host's, a CIDR's or world)").argParser(ipArg("from-ip")))
    .addOption(new Option("--from-identity <n>", "client security identity").argParser(identityArg("from-identity")))
    .addOption(new Option("--to-pod <ns/name>", "server endpoint").argParser(podArg("to-pod")))
    .addOption(new Option("--to-ip <addr>", "server address (a pod's, the host's, a CIDR's or world)").argParser(ipArg("to-ip")))
    .addOption(new Option("--to-identity <n>", "server security identity").argParser(identityArg("to-identity")))
    .addOption(new Option("--dport <port>", "destination port").argParser(portArg).makeOptionMandatory())
    .addOption(new Option("--protocol <proto>", "TCP or UDP").argParser(protocolArg).default("TCP"))
    .option("--http-method <method>", "HTTP method, checked against the port's L7 rules (with --http-path)")
    .option("--http-path <path>", "HTTP path, checked against the port's L7 rules (with --http-method)");
  addServerOptions(cmd, "collector");
  cmd.action(async (opts: TraceOpts) => {
    checkSide("from", opts);
    checkSide("to", opts);
    if ((opts.httpMethod === undefined) !== (opts.httpPath === undefined))
      throw new UsageError("--http-method and --http-path go together: give both or neither");
    const req = create(TracePolicyRequestSchema, {
      fromPod: opts.fromPod ?? "",
      toPod: opts.toPod ?? "",
      fromIp: opts.fromIp ?? "",
      toIp: opts.toIp ?? "",
      fromIdentity: opts.fromIdentity,
      toIdentity: opts.toIdentity,
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
