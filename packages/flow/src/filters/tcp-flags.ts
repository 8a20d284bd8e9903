// tcp_flags filter: the flow has every flag set in at least one of the listed TCPFlags.
import type { TCPFlags } from "@flowlens/proto";
import type { FilterBuilder } from "./types.js";

const FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"] as const;

export const tcpFlagsFilter: FilterBuilder = {
  name: "tcp_flags",
  fields: ["tcpFlags"],
  build(ff) {
    if (ff.tcpFlags.length === 0) return [];
    const wanted = ff.tcpFlags.map((f) => FLAGS.filter((name) => f[name]));
    return [
      (flow) => {
        const p = flow.l4?.protocol;
        const flags: TCPFlags | undefined = p?.case === "TCP" ? p.value.flags : undefined;
        if (!flags) return false;
        return wanted.some((names) => names.every((name) => flags[name]));
      },
    ];
  },
};
