// What the proxy tells the collector, one JSON object per line over <state-dir>/l7/events.sock:
// a request event per checked request, a response event per forwarded response (Cilium's access
// log), and a lost notice when events were dropped while the collector was away.

export type L7Verdict = "FORWARDED" | "DROPPED" | "AUDIT";

export interface L7HttpEvent {
  /** Wall clock, ns since the Unix epoch (a JSON number: precise to ~0.25 µs). */
  time: number;
  /** Subject endpoint (the server side, whose ingress policy decided). */
  endpointId: number;
  subjectIdentity: number;
  /** Client's identity from fl_ipcache (2 = world on a miss). */
  peerIdentity: number;
  srcIp: string;
  srcPort: number;
  /** The original destination: the endpoint's address and port the client connected to. */
  dstIp: string;
  dstPort: number;
  method: string;
  /** Path and query as on the request line. */
  url: string;
  /** "HTTP/1.1" or "HTTP/1.0". */
  protocol: string;
  /** Response status: 0 on a forwarded request event, 403 on a denied one. */
  code: number;
  /** DROPPED: denied and answered 403 by the proxy (one REQUEST event, no RESPONSE). AUDIT: the rules
   *  deny it but the port is in audit mode (L7Port.audit), so it was forwarded. */
  verdict: L7Verdict;
  /** The rule that allowed it; 0 when no rule did (denied or audited). */
  ruleId: number;
  type: "REQUEST" | "RESPONSE";
  /** RESPONSE only: request received to response headers received. */
  latencyNs?: number;
}

/** Events the proxy dropped because its buffer was full while the collector was not reading. */
export interface L7LostNotice {
  kind: "lost";
  count: number;
}

export type L7Message = L7HttpEvent | L7LostNotice;

const STRING_FIELDS = ["srcIp", "dstIp", "method", "url", "protocol"] as const;
const NUMBER_FIELDS = ["time", "endpointId", "subjectIdentity", "peerIdentity", "srcPort", "dstPort", "code", "ruleId"] as const;
const VERDICTS = new Set<string>(["FORWARDED", "DROPPED", "AUDIT"]);

/** Parses one line; a string is the reason the line is not a valid message. */
export function parseL7Message(line: string): L7Message | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return "not JSON";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "not a JSON object";
  const o = v as Record<string, unknown>;
  if (o.kind === "lost") {
    return typeof o.count === "number" && Number.isInteger(o.count) && o.count >= 0
      ? { kind: "lost", count: o.count }
      : "lost.count is not a count";
  }
  for (const f of STRING_FIELDS) if (typeof o[f] !== "string") return `${f} is not a string`;
  for (const f of NUMBER_FIELDS) if (typeof o[f] !== "number" || !Number.isFinite(o[f])) return `${f} is not a number`;
  if (typeof o.verdict !== "string" || !VERDICTS.has(o.verdict))
    return `verdict ${JSON.stringify(o.verdict)} is not FORWARDED, DROPPED or AUDIT`;
  if (o.type !== "REQUEST" && o.type !== "RESPONSE") return `type ${JSON.stringify(o.type)} is not REQUEST or RESPONSE`;
  if (o.latencyNs !== undefined && typeof o.latencyNs !== "number") return "latencyNs is not a number";
  return o as unknown as L7HttpEvent;
}
