// Every filter dimension's table cases in one list, for the live evaluator's tests and the SQL compiler's.
import { eventTypeCases } from "./event-type.cases.js";
import { fqdnCases, httpCases } from "./http.cases.js";
import { ipCases } from "./ip.cases.js";
import { labelsCases } from "./labels.cases.js";
import {
  clusterNameCases,
  identityCases,
  interfaceCases,
  ipVersionCases,
  replyCases,
  traceIdCases,
  trafficDirectionCases,
  workloadCases,
} from "./misc.cases.js";
import { nodeNameCases } from "./node-name.cases.js";
import { podCases, serviceCases } from "./pod.cases.js";
import { portCases } from "./port.cases.js";
import { protocolCases } from "./protocol.cases.js";
import { tcpFlagsCases } from "./tcp-flags.cases.js";
import type { FilterCaseTable } from "./types.js";
import { uuidCases } from "./uuid.cases.js";
import { dropReasonCases, verdictCases } from "./verdict.cases.js";

export const filterCaseTables: readonly FilterCaseTable[] = [
  uuidCases,
  ipCases,
  podCases,
  serviceCases,
  labelsCases,
  fqdnCases,
  workloadCases,
  clusterNameCases,
  portCases,
  protocolCases,
  verdictCases,
  dropReasonCases,
  eventTypeCases,
  tcpFlagsCases,
  trafficDirectionCases,
  nodeNameCases,
  ipVersionCases,
  replyCases,
  interfaceCases,
  identityCases,
  httpCases,
  traceIdCases,
];
