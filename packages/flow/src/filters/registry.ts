// Every filter dimension, in one list; compileFilters runs each over a FlowFilter.
import { clusterNameFilter } from "./cluster-name.js";
import { dropReasonFilter } from "./drop-reason.js";
import { eventTypeFilter } from "./event-type.js";
import { fqdnFilter } from "./fqdn.js";
import { httpFilter } from "./http.js";
import { identityFilter } from "./identity.js";
import { interfaceFilter } from "./interface.js";
import { ipFilter } from "./ip.js";
import { ipVersionFilter } from "./ip-version.js";
import { labelsFilter } from "./labels.js";
import { nodeNameFilter } from "./node-name.js";
import { podFilter, serviceFilter } from "./pod.js";
import { portFilter } from "./port.js";
import { protocolFilter } from "./protocol.js";
import { replyFilter } from "./reply.js";
import { tcpFlagsFilter } from "./tcp-flags.js";
import { traceIdFilter } from "./trace-id.js";
import { trafficDirectionFilter } from "./traffic-direction.js";
import type { FilterBuilder } from "./types.js";
import { uuidFilter } from "./uuid.js";
import { verdictFilter } from "./verdict.js";
import { workloadFilter } from "./workload.js";

export const filterBuilders: readonly FilterBuilder[] = [
  uuidFilter,
  ipFilter,
  podFilter,
  serviceFilter,
  labelsFilter,
  fqdnFilter,
  workloadFilter,
  clusterNameFilter,
  portFilter,
  protocolFilter,
  verdictFilter,
  dropReasonFilter,
  eventTypeFilter,
  tcpFlagsFilter,
  trafficDirectionFilter,
  nodeNameFilter,
  ipVersionFilter,
  replyFilter,
  interfaceFilter,
  identityFilter,
  httpFilter,
  traceIdFilter,
];
