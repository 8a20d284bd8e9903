// One policy suite's world: pods with test servers and probe agents, the real collector started on
// their endpoints file with its own pin path and state dir, and the ways a user drives policy (the
// flowlens CLI, the collector's Policies gRPC service on its admin socket, flowlens observe). cleanup() removes it all
// and is safe after a partial setup.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ApplyPoliciesRequestSchema,
  type ApplyPoliciesResponse,
  DeletePolicyRequestSchema,
  grpcServiceDefinition,
  ListPoliciesRequestSchema,
  type ListPoliciesResponse,
  Policies,
} from "@flowlens/proto";
import { type Collector, type CollectorState, collectorState, runCli, startCollector } from "@flowlens/test-harness/collector";
import { createPods, type PodSpec, type Pods } from "@flowlens/test-harness/pods";
import { type RunResult, waitFor } from "@flowlens/test-harness/run";
import { addWorld, type World } from "@flowlens/test-harness/world";
import { credentials, Metadata, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { type Agent, startAgent, startServers } from "./agent.js";

export interface SuiteOptions {
  /** netns/link prefix of this file (2-10 chars), e.g. "p4a". */
  prefix: string;
  pods: PodSpec[];
  /** TCP and UDP ports every pod serves (HTTP on TCP, echo on UDP). */
  tcp: number[];
  udp?: number[];
  /** Addresses of the "world" namespace (it serves the same ports). */
  world?: string[];
  collectorArgs?: string[];
  /** Rewrites the endpoints file before the collector starts (e.g. to declare cgroups). */
  endpoints?: (pods: Pods) => string;
  /** Agents in a pod's netns that join a cgroup first (besides each pod's plain agent), by key. */
  cgroupAgents?: Record<string, { pod: string; cgroup: string }>;
}

/** A flow as `flowlens observe -o json` prints it (Hubble's JSON), read field by field in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: JSON of many shapes; the assertions say what they expect
export type JsonFlow = Record<string, any>;

export interface PolicySuite {
  pods: Pods;
  collector: Collector;
  state: CollectorState;
  world?: World;
  /** A probe agent per pod, by pod name, and one on the host. */
  agent: Record<string, Agent>;
  host: Agent;
  /** Agents inside the cgroups of SuiteOptions.cgroupAgents, by key. */
  cgroupAgent: Record<string, Agent>;
  tmp: string;
  ip(pod: string): string;
  /** `flowlens policy apply -f <file>` with the YAML written to a temp file. */
  applyCli(yaml: string): Promise<RunResult & { file: string; returnedAt: number }>;
  /** The Policies service's Apply; returnedAt = epoch ms when the answer arrived. */
  applyRpc(yaml: string): Promise<{ res: ApplyPoliciesResponse; returnedAt: number; ms: number }>;
  list(): Promise<ListPoliciesResponse>;
  /** Deletes every policy applied through the API. */
  deleteAll(): Promise<void>;
  /** `flowlens observe --last N -o json <args>`: the flows as Hubble's JSON. */
  observe(args: string[], last?: number): Promise<JsonFlow[]>;
  /** `flowlens <args> --server <collector>` for read-only commands. */
  cli(args: string[]): Promise<RunResult>;
  /** `flowlens <args> --server <admin socket>` for policy apply/delete and endpoint add/delete. */
  adminCli(args: string[]): Promise<RunResult>;
  /** Stops the collector (SIGTERM, or SIGKILL when kill) and starts a new one on the same pins and state. */
  restart(opts?: { kill?: boolean; args?: string[]; beforeStart?: () => Promise<void> }): Promise<void>;
  cleanup(): Promise<void>;
}

type Rpc = (req: unknown, md: Metadata, opts: object, cb: (e: ServiceError | null, r: unknown) => void) => void;

export const epochMs = () => performance.timeOrigin + performance.now();

export async function policySuite(opts: SuiteOptions): Promise<PolicySuite> {
  const steps: (() => Promise<void> | void)[] = []; // cleanup, in reverse
  const tmp = mkdtempSync(join(tmpdir(), `flowlens-${opts.prefix}-`));
  steps.push(() => rmSync(tmp, { recursive: true, force: true }));
  let suite: PolicySuite | undefined;
  const cleanup = async () => {
    const errors: string[] = [];
    for (const step of steps.reverse()) {
      try {
        await step();
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    steps.length = 0;
    if (errors.length) throw new Error(`cleanup: ${errors.join("; ")}`);
  };
  try {
    const pods = await createPods({ prefix: opts.prefix, pods: opts.pods });
    steps.push(() => pods.destroy());
    const world = opts.world ? await addWorld(pods, opts.world) : undefined;
    if (opts.endpoints) writeFileSync(pods.endpointsFile, opts.endpoints(pods));
    for (const p of pods.pods) {
      const s = await startServers(p.netns, opts.tcp, opts.udp);
      steps.push(() => s.kill());
    }
    if (world) {
      const s = await startServers(world.netns, opts.tcp, opts.udp);
      steps.push(() => s.kill());
    }
    const agent: Record<string, Agent> = {};
    const cgroupAgent: Record<string, Agent> = {};
    for (const p of pods.pods) {
      agent[p.name] = await startAgent(p.netns);
      steps.push(() => agent[p.name].close());
    }
    for (const [key, { pod, cgroup }] of Object.entries(opts.cgroupAgents ?? {})) {
      cgroupAgent[key] = await startAgent(pods.pod(pod).netns, { cgroup });
      steps.push(() => cgroupAgent[key].close());
    }
    const host = await startAgent(undefined);
    steps.push(() => host.close());

    const state = collectorState();
    steps.push(() => state.cleanup());
    const args = () => ["--endpoints", pods.endpointsFile, "--metrics-address", "", ...(opts.collectorArgs ?? [])];
    const start = async (extra: string[] = []) => {
      const c = await startCollector([...args(), ...extra], 20_000, { state });
      await waitFor("collector serving", async () => c.output().includes("serving"), 20_000);
      return c;
    };
    let collector = await start();
    steps.push(() => suite?.collector.stop());

    const Client = makeGenericClientConstructor(grpcServiceDefinition(Policies), "Policies");
    // Through the admin socket: Apply and Delete are refused on the TCP listener.
    let client = new Client(collector.adminAddress, credentials.createInsecure()) as unknown as Record<string, Rpc> & { close(): void };
    steps.push(() => client.close());
    const rpc = <R>(method: string, schema: DescMessage, init: MessageInitShape<DescMessage>): Promise<R> =>
      new Promise((resolve, reject) =>
        client[method](create(schema, init), new Metadata(), { deadline: Date.now() + 10_000 }, (e, r) =>
          e ? reject(e) : resolve(r as R),
        ),
      );
    let seq = 0;
    const cli = (a: string[]) => runCli([...a, "--server", collector.address]);
    const adminCli = (a: string[]) => runCli([...a, "--server", collector.adminAddress]);

    suite = {
      pods,
      collector,
      state,
      world,
      agent,
      host,
      cgroupAgent,
      tmp,
      ip: (name) => pods.pod(name).ipv4,
      async applyCli(yaml) {
        const file = join(tmp, `policy-${++seq}.yaml`);
        writeFileSync(file, yaml);
        const r = await adminCli(["policy", "apply", "-f", file]);
        return { ...r, file, returnedAt: epochMs() };
      },
      async applyRpc(yaml) {
        const t0 = epochMs();
        const res = await rpc<ApplyPoliciesResponse>("Apply", ApplyPoliciesRequestSchema, { documents: [{ source: "test", yaml }] });
        const returnedAt = epochMs();
        return { res, returnedAt, ms: returnedAt - t0 };
      },
      list: () => rpc<ListPoliciesResponse>("List", ListPoliciesRequestSchema, {}),
      async deleteAll() {
        for (const p of (await this.list()).policies) {
          if (p.origin !== "api") continue;
          await rpc("Delete", DeletePolicyRequestSchema, { name: p.name, namespace: p.namespace, kind: p.kind });
        }
      },
      async observe(a, last = 500) {
        const r = await cli(["observe", "--last", String(last), "-o", "json", ...a]);
        if (r.code !== 0) throw new Error(`flowlens observe ${a.join(" ")}: exit ${r.code}: ${r.stderr.trim()}`);
        return r.stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l).flow)
          .filter(Boolean);
      },
      cli,
      adminCli,
      async restart(o = {}) {
        if (o.kill) {
          const pid = collector.process.process.pid as number;
          process.kill(-pid, "SIGKILL");
          await collector.process.exited;
        } else await collector.stop();
        client.close();
        await o.beforeStart?.();
        collector = await start(o.args);
        client = new Client(collector.adminAddress, credentials.createInsecure()) as unknown as Record<string, Rpc> & { close(): void };
        (suite as PolicySuite).collector = collector;
      },
      cleanup,
    };
    return suite;
  } catch (e) {
    await cleanup().catch(() => {});
    throw e;
  }
}

/** `apiVersion: cilium.io/v2 / kind: CiliumNetworkPolicy` with a name and a spec (indented YAML). */
export function cnp(name: string, spec: string, meta = ""): string {
  return `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n${meta}spec:\n${spec}`;
}
