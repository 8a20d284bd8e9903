// FL_REC_POLICY records as Hubble flows: a policy-verdict event (Cilium's PolicyVerdictNotify,
// event type 5) for every decision and, for a drop, also the drop event (type 1, sub-type the
// reason) Cilium's datapath sends beside it. The policies named come from the rule table that was
// in force when the kernel decided.
import { type DropReason, FlowEvent, TrafficDirection, Verdict } from "@flowlens/proto";
import type { PolicyEvent } from "../../datapath/events.js";
import { Off, PolicyDir, PolicyDropReason, PolicyHook, PolicyVerdict, TcDir } from "../../datapath/layout.js";
import { DerivedKind } from "../../flows/entry.js";
import { CiliumEvent, endpointFacts, eventOnlyExt, type FactsBuilding, type FlowFacts, type PolicyFacts } from "../../flows/facts.js";
import type { FlowPolicyRef } from "../../flows/rule-table.js";

const NONE: readonly FlowPolicyRef[] = [];

/** Flow verdict of a record verdict: REDIRECTED (to the L7 proxy) is FORWARDED at L3/L4. */
export function flowVerdict(recordVerdict: number): Verdict {
  if (recordVerdict === PolicyVerdict.DROPPED) return Verdict.DROPPED;
  if (recordVerdict === PolicyVerdict.AUDIT) return Verdict.AUDIT;
  return Verdict.FORWARDED;
}

/** Which of the four policy lists names the deciding rule's policies. */
export function policyLists(direction: number, verdict: Verdict, dropReason: number, policies: readonly FlowPolicyRef[]): PolicyFacts {
  const out = { ingressAllowedBy: NONE, egressAllowedBy: NONE, ingressDeniedBy: NONE, egressDeniedBy: NONE };
  if (policies.length === 0) return { matchType: 0, ...out };
  const ingress = direction === PolicyDir.INGRESS;
  // An explicit deny (POLICY_DENY) names its policies whether it dropped or only audited.
  const denied = verdict === Verdict.DROPPED || dropReason === PolicyDropReason.POLICY_DENY;
  if (denied) out[ingress ? "ingressDeniedBy" : "egressDeniedBy"] = policies;
  else out[ingress ? "ingressAllowedBy" : "egressAllowedBy"] = policies;
  return { matchType: 0, ...out };
}

export function policyFacts(b: FactsBuilding, ev: PolicyEvent): FlowFacts {
  const { registry } = b.ctx;
  const flagBits = ev.u16(Off.polTcpFlags);
  const tc = ev.u8(Off.polHook) === PolicyHook.TC;
  const observed = tc ? registry.byInterfaceAt(ev.ifindex, ev.tsNs) : undefined;
  // Socket hooks decide for the connecting endpoint: the packet would be leaving it.
  const leaving = tc ? ev.tcDir === TcDir.INGRESS : true;
  const c = b.common(ev, flagBits, observed, leaving);
  const base = c.base;
  if (!tc) {
    // connect()/sendmsg() run before bind: the source address may still be 0. Name the subject.
    const subject = registry.byIdAt(ev.u32(Off.polEndpointId), ev.tsNs);
    if (subject) {
      base.source = endpointFacts(subject);
      if (/^0\.0\.0\.0$|^::$/.test(base.srcIp)) {
        const v4 = ev.ipVersion === 4;
        base.srcIp = subject.ips.find((ip) => ip.includes(":") !== v4) ?? base.srcIp;
      }
    }
  }
  const direction = ev.u8(Off.polDirection);
  const verdict = flowVerdict(ev.u8(Off.polVerdict));
  const reason = ev.u16(Off.polDropReason);
  const dropped = verdict === Verdict.DROPPED;
  const dropView = ev.kind === DerivedKind.POLICY_DROP;
  const policies = policyLists(direction, verdict, reason, ev.rules.policiesOf(ev.u32(Off.polRuleId)));
  policies.matchType = ev.u8(Off.polMatchType);
  const hubbleReason = dropped ? reason : 0;
  base.cgroupId = tc ? base.cgroupId : ev.u64(Off.polCgroup);
  base.verdict = verdict;
  base.dropReason = hubbleReason;
  base.dropReasonDesc = hubbleReason as DropReason;
  // Only the first packet of a connection (or a refused call) is decided.
  base.isReply = false;
  base.eventType = dropView ? CiliumEvent.DROP : CiliumEvent.POLICY_VERDICT;
  base.eventSubType = dropView ? hubbleReason : 0;
  base.trafficDirection = direction === PolicyDir.INGRESS ? TrafficDirection.INGRESS : TrafficDirection.EGRESS;
  base.ifindex = tc ? ev.ifindex : 0;
  base.ifname = tc ? (observed?.interface ?? b.ctx.ifname(ev.ifindex)) : "";
  base.ext = eventOnlyExt(ev.u32(Off.polPid) || (c.proc?.pid ?? 0), c.proc?.comm ?? "", dropView ? [FlowEvent.DROP] : []);
  base.policy = policies;
  return base;
}
