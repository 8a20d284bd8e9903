// A real grpc-js server behind the flowlens.Policies interface with fake behaviour, for the `policy`
// command tests: a document containing "BAD" is rejected with one error per such line.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type ApplyPoliciesRequest,
  ApplyPoliciesResponseSchema,
  type DeletePolicyRequest,
  DeletePolicyResponseSchema,
  DropReason,
  type GetPolicyRequest,
  GetPolicyResponseSchema,
  grpcServiceDefinition,
  ListPoliciesResponseSchema,
  Policies,
  type PolicySummary,
  PolicySummarySchema,
  type TracePolicyRequest,
  TracePolicyResponseSchema,
  Verdict,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";

export interface FakePolicyServer {
  address: string;
  applied: ApplyPoliciesRequest[];
  traces: TracePolicyRequest[];
  policies: Map<string, { summary: PolicySummary; yaml: string }>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port) or, given `unixPath`, on that unix socket (an admin socket). */
export async function startFakePolicyServer(unixPath?: string): Promise<FakePolicyServer> {
  const server = new grpc.Server();
  const applied: ApplyPoliciesRequest[] = [];
  const traces: TracePolicyRequest[] = [];
  const policies = new Map<string, { summary: PolicySummary; yaml: string }>();
  let revision = 0n;
  server.addService(grpcServiceDefinition(Policies), {
    Apply(call: grpc.ServerUnaryCall<ApplyPoliciesRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      applied.push(call.request);
      const errors = call.request.documents.flatMap((d) =>
        d.yaml
          .split("\n")
          .map((l, i) => [l, i + 1] as const)
          .filter(([l]) => l.includes("BAD"))
          .map(([, line]) => ({ file: d.source, path: "spec.endpointSelector", line, reason: 'unknown field "BAD"' })),
      );
      if (errors.length) return cb(null, create(ApplyPoliciesResponseSchema, { errors, revision }));
      revision++;
      const out: PolicySummary[] = [];
      for (const d of call.request.documents)
        for (const m of d.yaml.matchAll(/name: (\S+)/g)) {
          const summary = create(PolicySummarySchema, {
            name: m[1],
            namespace: "default",
            kind: "CiliumNetworkPolicy",
            revision,
            rules: 1,
            audit: d.yaml.includes("audit"),
            appliedAt: timestampFromMs(Date.now() - 90_000),
            origin: "api",
          });
          policies.set(`default/${m[1]}`, { summary, yaml: d.yaml });
          out.push(summary);
        }
      cb(null, create(ApplyPoliciesResponseSchema, { applied: out, revision }));
    },
    List(_call: unknown, cb: grpc.sendUnaryData<unknown>) {
      cb(null, create(ListPoliciesResponseSchema, { policies: [...policies.values()].map((p) => p.summary), revision }));
    },
    Get(call: grpc.ServerUnaryCall<GetPolicyRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const p = policies.get(`${call.request.namespace || "default"}/${call.request.name}`);
      if (!p) return cb({ code: grpc.status.NOT_FOUND, details: `policy default/${call.request.name} not found` });
      cb(null, create(GetPolicyResponseSchema, { policy: p.summary, yaml: p.yaml }));
    },
    Delete(call: grpc.ServerUnaryCall<DeletePolicyRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const key = `${call.request.namespace || "default"}/${call.request.name}`;
      const p = policies.get(key);
      if (!p) return cb({ code: grpc.status.NOT_FOUND, details: `policy ${key} not found` });
      policies.delete(key);
      revision++;
      cb(null, create(DeletePolicyResponseSchema, { deleted: p.summary, revision }));
    },
    Trace(call: grpc.ServerUnaryCall<TracePolicyRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      traces.push(call.request);
      if (call.request.fromPod === "default/ghost")
        return cb({ code: grpc.status.NOT_FOUND, details: "from pod default/ghost is not an endpoint of this node" });
      cb(
        null,
        create(TracePolicyResponseSchema, {
          verdict: Verdict.DROPPED,
          dropReason: DropReason.POLICY_DENIED,
          lines: [
            `Tracing From: ${call.request.fromPod} => To: ${call.request.toPod} Port: ${call.request.dport}/TCP`,
            "Final verdict: DROPPED",
          ],
          policies: [{ name: "app1-policy", namespace: "default", kind: "CiliumNetworkPolicy" }],
        }),
      );
    },
  });
  const target = unixPath ? `unix:${unixPath}` : "127.0.0.1:0";
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: unixPath ? target : `127.0.0.1:${port}`,
    applied,
    traces,
    policies,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
