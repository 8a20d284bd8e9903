// Lines for the non-flow responses: relay node status events and lost events.
import { type GetFlowsResponse, type LostEvent, LostEventSource, NodeState, type NodeStatusEvent } from "@flowlens/proto";
import { type FormatOptions, resolveOptions } from "./options.js";

const NODE_NAMES_CUTOFF = 50;

/** Joins names until about `limit` characters, then says how many were left out. */
export function joinWithCutOff(names: string[], sep: string, limit = NODE_NAMES_CUTOFF): string {
  let len = 0;
  let end = names.length;
  for (let i = 0; i < names.length; i++) {
    len += (names[i]?.length ?? 0) + sep.length;
    if (len > limit && i > 0) {
      end = i;
      break;
    }
  }
  const joined = names.slice(0, end).join(sep);
  return end === names.length ? joined : `${joined} (and ${names.length - end} more)`;
}

/** True for states a user must see even without --debug (errors and unavailable nodes). */
export function isNodeStatusWorthShowing(s: NodeStatusEvent, debug = false): boolean {
  return debug || s.stateChange === NodeState.NODE_ERROR || s.stateChange === NodeState.NODE_UNAVAILABLE;
}

/** "Nov 26 06:30:01.123 [relay]: 2 nodes are unavailable: a, b" (Hubble's compact/table wording). */
export function formatNodeStatus(res: GetFlowsResponse, s: NodeStatusEvent, options?: FormatOptions): string {
  const o = resolveOptions(options);
  const n = s.nodeNames.length;
  const names = joinWithCutOff(s.nodeNames, ", ");
  const prefix = `${o.time(res.time)} [${res.nodeName}]`;
  switch (s.stateChange) {
    case NodeState.NODE_CONNECTED:
      return `${prefix}: Receiving flows from ${n} nodes: ${names}`;
    case NodeState.NODE_UNAVAILABLE:
      return `${prefix}: ${n} nodes are unavailable: ${names}`;
    case NodeState.NODE_GONE:
      return `${prefix}: ${n} nodes removed from cluster: ${names}`;
    case NodeState.NODE_ERROR:
      return `${prefix}: Error ${JSON.stringify(s.message)} on ${n} nodes: ${names}`;
    default:
      return `${prefix}: unknown node status event: ${NodeState[s.stateChange] ?? s.stateChange} ${names}`;
  }
}

/** Dict-style block for a node status event. */
export function formatNodeStatusDict(res: GetFlowsResponse, s: NodeStatusEvent, options?: FormatOptions): string {
  const o = resolveOptions(options);
  const message = s.message ? JSON.stringify(s.message) : "N/A";
  return (
    `  TIMESTAMP: ${o.time(res.time)}\n` +
    `      STATE: ${NodeState[s.stateChange] ?? s.stateChange}\n` +
    `      NODES: ${joinWithCutOff(s.nodeNames, ", ")}\n` +
    `    MESSAGE: ${message}\n`
  );
}

/** "Nov 26 06:30:01.123 [node-a]: EVENTS LOST: HUBBLE_RING_BUFFER CPU(N/A) 42". */
export function formatLostEvent(res: GetFlowsResponse, e: LostEvent, options?: FormatOptions): string {
  const o = resolveOptions(options);
  const cpu = e.cpu === undefined ? "N/A" : String(e.cpu).padStart(2, "0");
  const node = o.nodeName || res.nodeName ? ` [${res.nodeName}]` : "";
  return `${o.time(res.time)}${node}: EVENTS LOST: ${LostEventSource[e.source] ?? e.source} CPU(${cpu}) ${e.numEventsLost}`;
}
