// What the decoder asks of policy, given as one interface when it is made (never patched in later):
// which rule table was in force when a record was written, and which kernel drops are our own tc
// policy drops (their policy record already reports them).
import { RuleTable } from "../flows/rule-table.js";

export interface DecoderHooks {
  /** The rule table in force at `tsNs` (rule ids in a record mean nothing without it). */
  rulesAt(tsNs: number): RuleTable;
  /** True for a kernel drop (skb_drop_reason, skb->dev) that is a policy drop of our tc programs. */
  isPolicyDrop(kernelReason: number, ifindex: number): boolean;
}

/** What a policy engine offers the decoder: its compilations' rule tables over time. */
export interface PolicyRules {
  rulesAt(tsNs: number): RuleTable;
}

/** No policy in use: no rules, and no kernel drop is ours. */
export const NO_POLICY: DecoderHooks = { rulesAt: () => RuleTable.EMPTY, isPolicyDrop: () => false };
