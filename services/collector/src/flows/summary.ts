// Flow.Summary as Cilium's agent writes it, so Hubble's own printers show the same text:
// "TCP Flags: SYN, ACK", "UDP", "ICMPv4 EchoRequest", "ICMPv6 NeighborSolicitation".

const ICMP4: Record<number, string> = {
  0: "EchoReply",
  3: "DestinationUnreachable",
  4: "SourceQuench",
  5: "Redirect",
  8: "EchoRequest",
  9: "RouterAdvertisement",
  10: "RouterSolicitation",
  11: "TimeExceeded",
  12: "ParameterProblem",
  13: "TimestampRequest",
  14: "TimestampReply",
};
const UNREACH4: Record<number, string> = {
  0: "Net",
  1: "Host",
  2: "Protocol",
  3: "Port",
  4: "FragmentationNeeded",
  13: "CommAdminProhibited",
};

const ICMP6: Record<number, string> = {
  1: "DestinationUnreachable",
  2: "PacketTooBig",
  3: "TimeExceeded",
  4: "ParameterProblem",
  128: "EchoRequest",
  129: "EchoReply",
  130: "MLDv1MulticastListenerQueryMessage",
  131: "MLDv1MulticastListenerReportMessage",
  133: "RouterSolicitation",
  134: "RouterAdvertisement",
  135: "NeighborSolicitation",
  136: "NeighborAdvertisement",
  137: "Redirect",
  143: "MLDv2MulticastListenerReportMessageV2",
};
const UNREACH6: Record<number, string> = { 0: "NoRouteToDst", 1: "AdminProhibited", 3: "Address", 4: "Port" };

const TCP_ORDER: [bit: number, name: string][] = [
  [0x02, "SYN"],
  [0x10, "ACK"],
  [0x01, "FIN"],
  [0x04, "RST"],
  [0x08, "PSH"],
  [0x20, "URG"],
  [0x40, "ECE"],
  [0x80, "CWR"],
];

export function tcpSummary(bits: number): string {
  return `TCP Flags: ${TCP_ORDER.filter(([b]) => bits & b)
    .map(([, n]) => n)
    .join(", ")}`;
}

export function icmpSummary(version: 4 | 6, type: number, code: number): string {
  const names = version === 4 ? ICMP4 : ICMP6;
  const unreach = version === 4 ? UNREACH4 : UNREACH6;
  const unreachType = version === 4 ? 3 : 1;
  let text = names[type] ?? `${type}(${code})`;
  if (type === unreachType) text += `(${unreach[code] ?? code})`;
  return `ICMPv${version} ${text}`;
}
