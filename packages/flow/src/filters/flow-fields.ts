// Accessors for flow fields that several filters and printers read (ports, L4 protocol name).
import type { Flow } from "@flowlens/proto";

export function sourcePort(flow: Flow): number | undefined {
  const p = flow.l4?.protocol;
  if (p?.case === "TCP" || p?.case === "UDP" || p?.case === "SCTP") return p.value.sourcePort;
  return undefined;
}

export function destinationPort(flow: Flow): number | undefined {
  const p = flow.l4?.protocol;
  if (p?.case === "TCP" || p?.case === "UDP" || p?.case === "SCTP") return p.value.destinationPort;
  return undefined;
}
