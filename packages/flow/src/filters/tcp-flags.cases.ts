// Table cases for the TCP flags filter.
import { tcpFlagsFilter } from "./tcp-flags.js";
import type { FilterCaseTable } from "./types.js";

const synAck = { l4: { protocol: { case: "TCP" as const, value: { flags: { SYN: true, ACK: true } } } } };
const udp = { l4: { protocol: { case: "UDP" as const, value: {} } } };

export const tcpFlagsCases: FilterCaseTable = {
  builder: tcpFlagsFilter,
  cases: [
    { name: "subset of flow flags", filter: { tcpFlags: [{ SYN: true }] }, flow: synAck, match: true },
    { name: "all flags of one entry", filter: { tcpFlags: [{ SYN: true, ACK: true }] }, flow: synAck, match: true },
    { name: "missing one flag", filter: { tcpFlags: [{ SYN: true, FIN: true }] }, flow: synAck, match: false },
    { name: "any entry", filter: { tcpFlags: [{ RST: true }, { ACK: true }] }, flow: synAck, match: true },
    { name: "not tcp", filter: { tcpFlags: [{ SYN: true }] }, flow: udp, match: false },
  ],
  invalid: [],
};
