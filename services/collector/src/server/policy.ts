// The flowlens.Policies gRPC service: apply, list, get, delete and trace the node's policies.
// Apply answers only once the kernel maps hold the new set: returned means enforced.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describeRef } from "@flowlens/policy";
import {
  type ApplyPoliciesRequest,
  ApplyPoliciesResponseSchema,
  type DeletePolicyRequest,
  DeletePolicyResponseSchema,
  DropReason,
  type GetPolicyRequest,
  GetPolicyResponseSchema,
  ListPoliciesResponseSchema,
  type PolicySummary,
  PolicySummarySchema,
  type TracePolicyRequest,
  TracePolicyResponseSchema,
  Verdict,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { type PolicyEngine, TraceError } from "../policy/engine/engine.js";
import { PolicyHeldError, PolicyOriginError, type PolicyStore, ruleCount, type StoredPolicy } from "../policy/engine/store.js";

export function summaryOf(s: StoredPolicy): PolicySummary {
  const ref = s.policy.ref;
  return create(PolicySummarySchema, {
    name: ref.name,
    namespace: ref.namespace,
    kind: ref.kind,
    revision: BigInt(s.revision),
    audit: s.policy.audit,
    rules: ruleCount(s.policy),
    appliedAt: timestampFromMs(s.appliedAtMs),
    origin: s.origin,
  });
}

const VERDICT: Record<string, Verdict> = {
  FORWARDED: Verdict.FORWARDED,
  DROPPED: Verdict.DROPPED,
  AUDIT: Verdict.AUDIT,
  REDIRECTED: Verdict.REDIRECTED,
};

/** Runs `then` once the engine's last install is in the maps: at once (in the handler) when nothing waits for the L7 proxy. */
function afterWrite(engine: PolicyEngine, what: string, cb: grpc.sendUnaryData<unknown>, then: () => void): void {
  if (!engine.waiting) then();
  else
    engine.whenWritten().then(then, (e: Error) => cb({ code: grpc.status.INTERNAL, details: `${what}: writing the maps: ${e.message}` }));
}

type Unary<Req> = (call: grpc.ServerUnaryCall<Req, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

/** Runs a handler; an unexpected exception becomes INTERNAL with its message, never a crash. */
function guarded<Req>(method: string, fn: Unary<Req>): Unary<Req> {
  return (call, cb) => {
    try {
      fn(call, cb);
    } catch (e) {
      cb({ code: grpc.status.INTERNAL, details: `${method}: ${(e as Error).message}` });
    }
  };
}

export function createPolicyHandlers(
  store: PolicyStore,
  engine: PolicyEngine,
  log: (msg: string) => void = () => {},
): grpc.UntypedServiceImplementation {
  const notFound = (name: string, namespace: string, kind: string) =>
    `policy ${namespace ? `${namespace}/` : ""}${name}${kind ? ` (${kind})` : ""} not found (see flowlens policy list)`;
  return {
    Apply: guarded<ApplyPoliciesRequest>("apply", (call, cb) => {
      const docs = call.request.documents.map((d) => ({ source: d.source || "-", text: d.yaml }));
      if (docs.length === 0) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "no policy documents in the request" });
      const res = store.apply(docs);
      const revision = store.revision;
      const answer = () =>
        cb(
          null,
          create(ApplyPoliciesResponseSchema, {
            applied: res.applied.map(summaryOf),
            errors: res.errors.map((e) => ({ file: e.source, path: e.path, line: e.line ?? 0, reason: e.message })),
            revision: BigInt(revision),
          }),
        );
      if (res.errors.length) {
        log(`policy apply rejected: ${res.errors.length} error${res.errors.length === 1 ? "" : "s"}, nothing applied`);
        return answer();
      }
      // A new L7 endpoint is written once the proxy listens for it: returned means enforced.
      afterWrite(engine, "apply", cb, () => {
        log(
          `policy applied: ${res.applied.map((s) => describeRef(s.policy.ref)).join(", ")} (revision ${revision}, maps written in ${engine.lastInstallMs.toFixed(1)} ms)`,
        );
        answer();
      });
    }),

    List: guarded("list", (_call, cb) => {
      cb(null, create(ListPoliciesResponseSchema, { policies: store.list().map(summaryOf), revision: BigInt(store.revision) }));
    }),

    Get: guarded<GetPolicyRequest>("get", (call, cb) => {
      const { name, namespace, kind } = call.request;
      if (!name) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "a policy name is required" });
      const s = store.get(name, namespace, kind);
      if (!s) return cb({ code: grpc.status.NOT_FOUND, details: notFound(name, namespace || "default", kind) });
      cb(null, create(GetPolicyResponseSchema, { policy: summaryOf(s), yaml: s.policy.text }));
    }),

    Delete: guarded<DeletePolicyRequest>("delete", (call, cb) => {
      const { name, namespace, kind } = call.request;
      if (!name) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "a policy name is required" });
      let s: StoredPolicy | undefined;
      try {
        s = store.delete(name, namespace, kind);
      } catch (e) {
        if (e instanceof PolicyOriginError || e instanceof PolicyHeldError)
          return cb({ code: grpc.status.FAILED_PRECONDITION, details: e.message });
        throw e;
      }
      if (!s) return cb({ code: grpc.status.NOT_FOUND, details: notFound(name, namespace || "default", kind) });
      const deleted = s;
      const revision = store.revision;
      afterWrite(engine, "delete", cb, () => {
        log(`policy deleted: ${describeRef(deleted.policy.ref)} (revision ${revision})`);
        cb(null, create(DeletePolicyResponseSchema, { deleted: summaryOf(deleted), revision: BigInt(revision) }));
      });
    }),

    Trace: guarded<TracePolicyRequest>("trace", (call, cb) => {
      const r = call.request;
      let answer: ReturnType<PolicyEngine["trace"]>;
      try {
        answer = engine.trace({
          fromPod: r.fromPod || undefined,
          toPod: r.toPod || undefined,
          fromIp: r.fromIp || undefined,
          toIp: r.toIp || undefined,
          fromIdentity: r.fromIdentity,
          toIdentity: r.toIdentity,
          dport: r.dport,
          protocol: r.protocol,
          httpMethod: r.httpMethod || undefined,
          httpPath: r.httpPath || undefined,
        });
      } catch (e) {
        if (e instanceof TraceError)
          return cb({ code: e.notFound ? grpc.status.NOT_FOUND : grpc.status.INVALID_ARGUMENT, details: e.message });
        throw e;
      }
      const t = answer.result;
      cb(
        null,
        create(TracePolicyResponseSchema, {
          verdict: VERDICT[t.verdict] ?? Verdict.VERDICT_UNKNOWN,
          dropReason: t.dropReason ? DropReason[t.dropReason] : DropReason.DROP_REASON_UNKNOWN,
          rule: t.rule && t.rule.ruleId !== 0 ? t.rule.description : "",
          policies: answer.policies.map((p) => ({
            name: p.name,
            namespace: p.namespace,
            kind: p.kind,
            labels: [...p.labels],
            revision: BigInt(p.revision),
          })),
          lines: t.lines,
          fromIdentity: answer.fromIdentity,
          toIdentity: answer.toIdentity,
        }),
      );
    }),
  };
}
