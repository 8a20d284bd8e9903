// Table cases for the small enum/number filters: traffic direction, IP version, reply, interface, identity, cluster, trace id, workload.
import { TrafficDirection, Verdict } from "@flowlens/proto";
import { clusterNameFilter } from "./cluster-name.js";
import { identityFilter } from "./identity.js";
import { interfaceFilter } from "./interface.js";
import { ipVersionFilter } from "./ip-version.js";
import { replyFilter } from "./reply.js";
import { traceIdFilter } from "./trace-id.js";
import { trafficDirectionFilter } from "./traffic-direction.js";
import type { FilterCaseTable } from "./types.js";
import { workloadFilter } from "./workload.js";

export const trafficDirectionCases: FilterCaseTable = {
  builder: trafficDirectionFilter,
  cases: [
    {
      name: "ingress",
      filter: { trafficDirection: [TrafficDirection.INGRESS] },
      flow: { trafficDirection: TrafficDirection.INGRESS },
      match: true,
    },
    {
      name: "egress vs ingress",
      filter: { trafficDirection: [TrafficDirection.EGRESS] },
      flow: { trafficDirection: TrafficDirection.INGRESS },
      match: false,
    },
  ],
  invalid: [],
};

export const ipVersionCases: FilterCaseTable = {
  builder: ipVersionFilter,
  cases: [
    { name: "v6", filter: { ipVersion: [2] }, flow: { IP: { ipVersion: 2 } }, match: true },
    { name: "v4 vs v6", filter: { ipVersion: [1] }, flow: { IP: { ipVersion: 2 } }, match: false },
    { name: "no IP", filter: { ipVersion: [0] }, flow: {}, match: false },
  ],
  invalid: [],
};

export const replyCases: FilterCaseTable = {
  builder: replyFilter,
  cases: [
    { name: "reply true", filter: { reply: [true] }, flow: { isReply: true }, match: true },
    { name: "reply false", filter: { reply: [false] }, flow: { isReply: true }, match: false },
    { name: "unknown never matches", filter: { reply: [false] }, flow: { verdict: Verdict.FORWARDED }, match: false },
    { name: "unknown drop counts as false", filter: { reply: [false] }, flow: { verdict: Verdict.DROPPED }, match: true },
  ],
  invalid: [],
};

export const interfaceCases: FilterCaseTable = {
  builder: interfaceFilter,
  cases: [
    { name: "by name", filter: { interface: [{ name: "veth1" }] }, flow: { interface: { index: 7, name: "veth1" } }, match: true },
    { name: "by index", filter: { interface: [{ index: 8 }] }, flow: { interface: { index: 7, name: "veth1" } }, match: false },
    { name: "no interface", filter: { interface: [{ name: "veth1" }] }, flow: {}, match: false },
  ],
  invalid: [],
};

export const identityCases: FilterCaseTable = {
  builder: identityFilter,
  cases: [
    { name: "source identity", filter: { sourceIdentity: [1, 12345] }, flow: { source: { identity: 12345 } }, match: true },
    { name: "destination identity", filter: { destinationIdentity: [2] }, flow: { destination: { identity: 3 } }, match: false },
  ],
  invalid: [],
};

export const clusterNameCases: FilterCaseTable = {
  builder: clusterNameFilter,
  cases: [
    { name: "source cluster", filter: { sourceClusterName: ["c1"] }, flow: { source: { clusterName: "c1" } }, match: true },
    { name: "destination cluster", filter: { destinationClusterName: ["c1"] }, flow: { destination: { clusterName: "c2" } }, match: false },
  ],
  invalid: [],
};

export const traceIdCases: FilterCaseTable = {
  builder: traceIdFilter,
  cases: [
    { name: "trace id", filter: { traceId: ["abc"] }, flow: { traceContext: { parent: { traceId: "abc" } } }, match: true },
    { name: "no trace", filter: { traceId: ["abc"] }, flow: {}, match: false },
  ],
  invalid: [],
};

export const workloadCases: FilterCaseTable = {
  builder: workloadFilter,
  cases: [
    {
      name: "name and kind",
      filter: { sourceWorkload: [{ name: "web", kind: "Deployment" }] },
      flow: { source: { workloads: [{ name: "web", kind: "Deployment" }] } },
      match: true,
    },
    {
      name: "kind only",
      filter: { destinationWorkload: [{ kind: "DaemonSet" }] },
      flow: { destination: { workloads: [{ name: "web", kind: "Deployment" }] } },
      match: false,
    },
  ],
  invalid: [],
};
