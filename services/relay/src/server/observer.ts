// The relay's Observer gRPC service (Hubble's wire format) for the whole cluster: GetFlows from the
// merged ring, ServerStatus summed over nodes, GetNodes one per peer, GetNamespaces the union.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { compileFilters } from "@flowlens/flow";
import {
  type GetFlowsRequest,
  type GetFlowsResponse,
  GetNamespacesResponseSchema,
  GetNodesResponseSchema,
  type NodeSchema,
  NodeState,
  ServerStatusResponseSchema,
  wantsFlowExtensions,
} from "@flowlens/proto";
import { drainedOrCancelled } from "@flowlens/runtime";
import * as grpc from "@grpc/grpc-js";
import type { Relay } from "../relay.js";
import { type RelayQuery, streamRelayFlows } from "./stream.js";

/** Responses queued in grpc-js per stream before the stream waits for its client. */
const MAX_QUEUED_MESSAGES = 4096;

const tsNs = (t: { seconds: bigint; nanos: number }) => Number(t.seconds) * 1e9 + t.nanos;

export function toRelayQuery(req: GetFlowsRequest): RelayQuery {
  const compiled = compileFilters(req.whitelist, req.blacklist);
  const q: RelayQuery = {
    number: Number(req.number),
    first: req.first,
    follow: req.follow,
    match: req.whitelist.length || req.blacklist.length ? compiled : undefined,
    withExtensions: wantsFlowExtensions(req.extensions),
  };
  if (req.since) q.sinceNs = tsNs(req.since);
  if (req.until) q.untilNs = tsNs(req.until);
  if (q.first && q.follow) throw new Error("first and follow cannot be combined");
  return q;
}

const settle = <T>(p: Promise<T | undefined>) => p.catch(() => undefined);

export function createRelayObserverHandlers(relay: Relay, version: string): grpc.UntypedServiceImplementation {
  const relayName = relay.opts.nodeName;
  return {
    GetFlows(call: grpc.ServerWritableStream<GetFlowsRequest, GetFlowsResponse | Uint8Array>) {
      let q: RelayQuery;
      try {
        q = toRelayQuery(call.request);
      } catch (e) {
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
        return;
      }
      let cancelled = false;
      let wake: (() => void) | undefined;
      const unsubscribe = relay.ring.subscribe(() => {
        const w = wake;
        wake = undefined;
        w?.();
      });
      const stop = () => {
        cancelled = true;
        wake?.();
      };
      call.on("cancelled", stop);
      call.on("close", stop);
      const sink = {
        get cancelled() {
          return cancelled;
        },
        send: (resp: GetFlowsResponse | Uint8Array) => {
          call.write(resp);
          return call.writableLength < MAX_QUEUED_MESSAGES;
        },
        drain: () => drainedOrCancelled(call, () => cancelled),
      };
      streamRelayFlows(
        q,
        {
          ring: relay.ring,
          relayName,
          initialStatus: () => [
            { state: NodeState.NODE_CONNECTED, nodes: relay.connected().map((p) => p.name), message: "" },
            {
              state: NodeState.NODE_UNAVAILABLE,
              nodes: relay.unavailable().map((p) => p.name),
              message: relay
                .unavailable()
                .map((p) => p.lastError)
                .filter(Boolean)
                .join("; "),
            },
          ],
          countLapped: (n) => {
            relay.lapped += n;
          },
          waitForData: () =>
            new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(() => {
                if (wake === resolve) wake = undefined;
                resolve();
              }, 1000).unref();
            }),
        },
        sink,
      ).then(
        () => {
          unsubscribe();
          if (!cancelled) call.end();
        },
        (e: Error) => {
          unsubscribe();
          if (!cancelled) call.emit("error", { code: grpc.status.INTERNAL, details: `stream flows: ${e.message}` });
        },
      );
    },

    async ServerStatus(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const statuses = await Promise.all(relay.peers.map((p) => settle(p.status())));
      let numFlows = 0n;
      let maxFlows = 0n;
      let seenFlows = 0n;
      let flowsRate = 0;
      for (const s of statuses) {
        if (!s) continue;
        numFlows += s.numFlows;
        maxFlows += s.maxFlows;
        seenFlows += s.seenFlows;
        flowsRate += s.flowsRate;
      }
      const unavailable = relay.peers.filter((_p, i) => statuses[i] === undefined);
      cb(
        null,
        create(ServerStatusResponseSchema, {
          numFlows,
          maxFlows,
          seenFlows,
          uptimeNs: BigInt(Math.round((Date.now() - relay.startedAt) * 1e6)),
          numConnectedNodes: relay.peers.length - unavailable.length,
          numUnavailableNodes: unavailable.length,
          unavailableNodes: unavailable.map((p) => p.name),
          version,
          flowsRate,
          flowlensLostEvents: [...relay.lost()].map(([source, n]) => ({ source, numEventsLost: BigInt(n) })),
        }),
      );
    },

    async GetNodes(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const nodes = await Promise.all(
        relay.peers.map(async (p): Promise<MessageInitShape<typeof NodeSchema>> => {
          const n = await settle(p.node());
          const base = {
            name: p.name,
            address: p.address,
            tls: { enabled: p.opts.tls !== undefined, serverName: p.opts.tls?.serverName ?? "" },
          };
          if (!n) return { ...base, version: p.version, state: p.state === NodeState.NODE_CONNECTED ? NodeState.NODE_ERROR : p.state };
          return {
            ...base,
            name: n.name || p.name,
            version: n.version,
            state: NodeState.NODE_CONNECTED,
            uptimeNs: n.uptimeNs,
            numFlows: n.numFlows,
            maxFlows: n.maxFlows,
            seenFlows: n.seenFlows,
          };
        }),
      );
      cb(null, create(GetNodesResponseSchema, { nodes }));
    },

    async GetNamespaces(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const all = await Promise.all(relay.peers.map((p) => settle(p.namespaces())));
      const seen = new Map<string, { cluster: string; namespace: string }>();
      for (const r of all)
        for (const ns of r?.namespaces ?? []) seen.set(`${ns.cluster}/${ns.namespace}`, { cluster: ns.cluster, namespace: ns.namespace });
      const namespaces = [...seen.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.cluster.localeCompare(b.cluster));
      cb(null, create(GetNamespacesResponseSchema, { namespaces }));
    },

    GetAgentEvents(call: grpc.ServerWritableStream<unknown, unknown>) {
      call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "agent events are not served by flowlens-relay" });
    },
    GetDebugEvents(call: grpc.ServerWritableStream<unknown, unknown>) {
      call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "debug events are not served by flowlens-relay" });
    },
  };
}
