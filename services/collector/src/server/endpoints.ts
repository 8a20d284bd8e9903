// The flowlens.Endpoints gRPC service: add, list and delete endpoints on a running collector.
import { create } from "@bufbuild/protobuf";
import {
  type AddEndpointRequest,
  AddEndpointResponseSchema,
  type DeleteEndpointRequest,
  DeleteEndpointResponseSchema,
  ListEndpointsResponseSchema,
  type LocalEndpoint,
  LocalEndpointSchema,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import type { Endpoint, EndpointRegistry } from "../endpoints/registry.js";
import { addEndpoint, type EndpointFacts, systemFacts } from "../endpoints/source.js";
import { type EndpointSpecError, validateEndpoint } from "../endpoints/spec.js";

export function endpointToPb(ep: Endpoint): LocalEndpoint {
  return create(LocalEndpointSchema, {
    name: ep.name,
    namespace: ep.namespace,
    labels: ep.labels,
    netns: ep.netns,
    interface: ep.interface,
    ips: ep.ips,
    cgroup: ep.cgroup ?? "",
    id: ep.id,
    identity: ep.identity,
    ifindex: ep.ifindex,
    identityLabels: ep.labelStrings,
  });
}

/**
 * `attachError` tells whether the datapath failed to observe an endpoint just added; such an
 * endpoint is taken back out and the call fails, so "added" always means "observed".
 */
export function createEndpointHandlers(
  registry: EndpointRegistry,
  attachError: (namespace: string, name: string) => string | undefined = () => undefined,
  facts: EndpointFacts = systemFacts,
): grpc.UntypedServiceImplementation {
  return {
    AddEndpoint(call: grpc.ServerUnaryCall<AddEndpointRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const e = call.request.endpoint;
      if (!e) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "endpoint is required" });
      let spec: ReturnType<typeof validateEndpoint>;
      try {
        spec = validateEndpoint(
          {
            name: e.name,
            namespace: e.namespace || undefined,
            labels: e.labels,
            netns: e.netns,
            interface: e.interface,
            ips: e.ips.length ? e.ips : undefined,
            cgroup: e.cgroup || undefined,
          },
          "endpoint",
        );
      } catch (err) {
        return cb({ code: grpc.status.INVALID_ARGUMENT, details: (err as EndpointSpecError).message });
      }
      addEndpoint(registry, spec, facts).then(
        (ep) => {
          const failed = attachError(ep.namespace, ep.name);
          if (failed) {
            registry.remove(ep.namespace, ep.name);
            return cb({ code: grpc.status.FAILED_PRECONDITION, details: `endpoint ${ep.namespace}/${ep.name}: ${failed}` });
          }
          cb(null, create(AddEndpointResponseSchema, { endpoint: endpointToPb(ep) }));
        },
        (err: Error) => cb({ code: grpc.status.FAILED_PRECONDITION, details: err.message }),
      );
    },
    ListEndpoints(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      cb(null, create(ListEndpointsResponseSchema, { endpoints: registry.list().map(endpointToPb) }));
    },
    DeleteEndpoint(call: grpc.ServerUnaryCall<DeleteEndpointRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const ns = call.request.namespace || "default";
      const ep = registry.remove(ns, call.request.name);
      if (!ep) return cb({ code: grpc.status.NOT_FOUND, details: `endpoint ${ns}/${call.request.name} not found` });
      cb(null, create(DeleteEndpointResponseSchema, { endpoint: endpointToPb(ep) }));
    },
  };
}
