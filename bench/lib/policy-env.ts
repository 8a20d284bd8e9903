// Set-up shared by the policy benches: "b4*" pods from the test harness, the real collector (its own
// pin path and state dir, uninstalled when it stops or the bench exits), a Policies gRPC client,
// /metrics reads, and helper processes (load generators, probes) run inside a pod's netns.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  ApplyPoliciesRequestSchema,
  type ApplyPoliciesResponse,
  DeletePolicyRequestSchema,
  type DeletePolicyResponse,
  grpcServiceDefinition,
  Policies,
} from "@flowlens/proto";
import { type Collector, freePort, startCollector } from "@flowlens/test-harness/collector";
import { createPods, type PodSpec, type Pods } from "@flowlens/test-harness/pods";
import { waitFor } from "@flowlens/test-harness/run";
import { REPO_ROOT } from "@flowlens/test-harness/topology";
import { type Client, credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";

export const NAMESPACE = "bench";
export const LIB = resolve(REPO_ROOT, "bench/lib");

/** A pod of the bench namespace labelled app=<app>. */
export const b4pod = (name: string, app = `b4-${name}`): PodSpec => ({ name, namespace: NAMESPACE, labels: { app } });

/**
 * Ctrl-C / SIGTERM end the bench through process.exit, so the harness' exit handlers run: pods are
 * removed (their processes killed) and every collector is killed and uninstalled (pins, links, tc
 * filters, the L7 proxy).
 */
export function exitOnSignals(): void {
  process.on("SIGINT", () => process.exit(130));
  process.on("SIGTERM", () => process.exit(143));
}

/** Creates the pods, runs fn, and always removes the pods (and the processes in them) afterwards. */
export async function withB4Pods<T>(prefix: string, specs: PodSpec[], fn: (pods: Pods) => Promise<T>): Promise<T> {
  if (!/^b4[a-z0-9]+$/.test(prefix)) throw new Error(`policy bench pod prefix "${prefix}" must start with b4`);
  exitOnSignals();
  const pods = await createPods({ prefix, pods: specs });
  try {
    return await fn(pods);
  } finally {
    await pods.destroy();
  }
}

export interface PolicyCollector extends Collector {
  metricsPort: number;
  /** Sum of the /metrics samples whose line (name and labels) matches re. */
  metric(re: RegExp): Promise<number>;
  apply(yaml: string): Promise<ApplyPoliciesResponse>;
  deletePolicy(name: string): Promise<DeletePolicyResponse>;
  close(): Promise<void>;
}

type Unary = (req: unknown, cb: (e: ServiceError | null, r: unknown) => void) => void;

/** Starts the real collector on the pods (extra flags appended) with /metrics and a Policies client. */
export async function startPolicyCollector(pods: Pods, extra: string[] = []): Promise<PolicyCollector> {
  const metricsPort = await freePort();
  const c = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", `127.0.0.1:${metricsPort}`, ...extra], 60_000);
  await waitFor("collector serving", async () => c.output().includes("serving"), 30_000);
  const Ctor = makeGenericClientConstructor(grpcServiceDefinition(Policies), "Policies");
  // Apply and Delete are served on the admin socket (refused on the TCP listener).
  const client = new Ctor(c.adminAddress, credentials.createInsecure()) as unknown as Client & Record<string, Unary>;
  const call = <T>(method: string, req: unknown) =>
    new Promise<T>((ok, fail) =>
      client[method](req, (e, r) => (e ? fail(new Error(`${method}: ${e.details || e.message}`, { cause: e })) : ok(r as T))),
    );
  const metric = async (re: RegExp) => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split("\n")) if (!line.startsWith("#") && re.test(line)) sum += Number(line.split(" ").at(-1));
    return sum;
  };
  return {
    ...c,
    metricsPort,
    metric,
    apply: (yaml) => call("Apply", create(ApplyPoliciesRequestSchema, { documents: [{ source: "bench", yaml }] })),
    deletePolicy: (name) => call("Delete", create(DeletePolicyRequestSchema, { name, namespace: NAMESPACE })),
    async close() {
      client.close();
      await c.stop();
    },
  };
}

/** Runs a bench/lib/*.mjs helper inside a pod and parses the JSON it prints last. */
export async function runInPod<T>(pods: Pods, pod: string, script: string, args: (string | number)[], timeoutMs = 120_000): Promise<T> {
  const r = await pods.exec(pod, ["node", resolve(LIB, script), ...args.map(String)], { timeoutMs, allowFail: true });
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.code !== 0 || !last.startsWith("{"))
    throw new Error(`${script} in pod ${pod}: exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(-300)}`);
  return JSON.parse(last) as T;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** "load average: 1.2, 1.0, 0.9" of the machine, printed with the results (the machine is shared). */
export async function loadAverage(): Promise<string> {
  return (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
}
