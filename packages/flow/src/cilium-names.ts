// Cilium's names for numbers that flows carry (public facts of its monitor API and Hubble's
// parser), in one place for the printers, the CLI flags and the collector's summaries.

/** Trace observation points by trace sub-type number (Cilium's monitor API). */
export const TRACE_POINTS = [
  "to-endpoint",
  "to-proxy",
  "to-host",
  "to-stack",
  "to-overlay",
  "from-endpoint",
  "from-proxy",
  "from-host",
  "from-stack",
  "from-overlay",
  "from-network",
  "to-network",
  "from-crypto",
  "to-crypto",
] as const;

/** Cilium's reserved security identities. */
export const RESERVED_IDENTITIES = {
  host: 1,
  world: 2,
  unmanaged: 3,
  health: 4,
  init: 5,
  "remote-node": 6,
  "kube-apiserver": 7,
  ingress: 8,
  "world-ipv4": 9,
  "world-ipv6": 10,
} as const;

const RESERVED_BY_NUMBER = new Map<number, string>(Object.entries(RESERVED_IDENTITIES).map(([k, v]) => [v, k]));

/** The reserved identity's name, or undefined for a regular identity. */
export function reservedIdentityName(identity: number): string | undefined {
  return RESERVED_BY_NUMBER.get(identity);
}

/** TCP flags in the order Hubble prints them ("TCP Flags: SYN, ACK"). */
export const TCP_FLAG_PRINT_ORDER = ["SYN", "ACK", "RST", "FIN", "PSH", "URG", "ECE", "CWR", "NS"] as const;
export type TcpFlagName = (typeof TCP_FLAG_PRINT_ORDER)[number];

/** Bit of each flag in the TCP header's flags byte (NS is the bit before it). */
export const TCP_FLAG_BITS: Record<TcpFlagName, number> = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  NS: 0x100,
};

/** "TCP Flags: SYN, ACK" for a set of flag names (or "TCP" when none). */
export function tcpFlagsSummary(isSet: (flag: TcpFlagName) => boolean): string {
  const names = TCP_FLAG_PRINT_ORDER.filter(isSet);
  return names.length ? `TCP Flags: ${names.join(", ")}` : "TCP";
}

const ICMP4_TYPES: Record<number, string> = {
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
const ICMP4_UNREACHABLE: Record<number, string> = {
  0: "Net",
  1: "Host",
  2: "Protocol",
  3: "Port",
  4: "FragmentationNeeded",
  13: "CommAdminProhibited",
};

const ICMP6_TYPES: Record<number, string> = {
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
const ICMP6_UNREACHABLE: Record<number, string> = { 0: "NoRouteToDst", 1: "AdminProhibited", 3: "Address", 4: "Port" };

/** "ICMPv4 EchoRequest", "ICMPv4 DestinationUnreachable(Port)", "ICMPv6 NeighborSolicitation". */
export function icmpSummary(version: 4 | 6, type: number, code: number): string {
  const names = version === 4 ? ICMP4_TYPES : ICMP6_TYPES;
  const unreachable = version === 4 ? ICMP4_UNREACHABLE : ICMP6_UNREACHABLE;
  let text = names[type] ?? `${type}(${code})`;
  if (type === (version === 4 ? 3 : 1)) text += `(${unreachable[code] ?? code})`;
  return `ICMPv${version} ${text}`;
}
