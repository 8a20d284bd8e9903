// Label selectors (Kubernetes LabelSelector as Cilium reads it): parsing with Cilium's source
// prefixes, matching against an endpoint's identity labels, and a short text form.

import { labelKeyError, labelValueError } from "./labels.js";
import type { Selector, SelectorOperator } from "./model.js";
import { join, type Walk } from "./yaml-walk.js";

export const NAMESPACE_LABEL = "io.kubernetes.pod.namespace";

const OPERATORS: readonly SelectorOperator[] = ["In", "NotIn", "Exists", "DoesNotExist"];

export function parseSelector(w: Walk, node: unknown, path: string): Selector | undefined {
  const m = w.map(node, path);
  if (!m) return undefined;
  const f = w.fields(m, path, ["matchLabels", "matchExpressions"]);
  const sel: Selector = { matchLabels: {}, matchExpressions: [] };
  let ok = true;
  const labels = f.get("matchLabels");
  if (labels) {
    const lm = w.map(labels.value, labels.path);
    for (const pair of lm?.items ?? []) {
      const rawKey = w.scalar(pair.key);
      if (typeof rawKey !== "string") {
        w.error(pair.key, labels.path, "label keys must be strings");
        ok = false;
        continue;
      }
      const at = join(labels.path, rawKey);
      const key = labelKey(w, pair.key, at, rawKey);
      const value = w.string(pair.value, at);
      if (key === undefined || value === undefined || !labelValue(w, pair.value, at, value)) ok = false;
      else sel.matchLabels[key] = value;
    }
    if (!lm) ok = false;
  }
  const exprs = f.get("matchExpressions");
  if (exprs) {
    const list = w.seq(exprs.value, exprs.path);
    if (!list) ok = false;
    list?.items.forEach((item, i) => {
      const at = `${exprs.path}[${i}]`;
      const e = w.map(item, at);
      if (!e) {
        ok = false;
        return;
      }
      const ef = w.fields(e, at, ["key", "operator", "values"]);
      const k = ef.get("key");
      const op = ef.get("operator");
      const vals = ef.get("values");
      if (!k) w.error(item, join(at, "key"), "is required");
      if (!op) w.error(item, join(at, "operator"), `is required (${OPERATORS.join(", ")})`);
      const rawKey = k && w.string(k.value, k.path);
      const key = rawKey === undefined ? undefined : labelKey(w, k?.value, k?.path ?? at, rawKey);
      const opName = op && w.string(op.value, op.path);
      let operator: SelectorOperator | undefined;
      if (opName !== undefined) {
        if ((OPERATORS as readonly string[]).includes(opName)) operator = opName as SelectorOperator;
        else w.error(op?.value, op?.path ?? at, `operator "${opName}" is not one of ${OPERATORS.join(", ")}`);
      }
      const values: string[] = [];
      let valuesOk = true;
      if (vals) {
        const vs = w.seq(vals.value, vals.path);
        if (!vs) valuesOk = false;
        vs?.items.forEach((v, j) => {
          const s = w.string(v, `${vals.path}[${j}]`);
          if (s === undefined || !labelValue(w, v, `${vals.path}[${j}]`, s)) valuesOk = false;
          else values.push(s);
        });
      }
      if (operator === "In" || operator === "NotIn") {
        if (valuesOk && values.length === 0)
          w.error(vals?.value ?? item, vals?.path ?? join(at, "values"), `operator ${operator} needs at least one value`);
      } else if (operator && vals) {
        w.error(vals.value, vals.path, `operator ${operator} takes no values`);
        valuesOk = false;
      }
      if (
        key === undefined ||
        operator === undefined ||
        !valuesOk ||
        ((operator === "In" || operator === "NotIn") && values.length === 0)
      ) {
        ok = false;
        return;
      }
      sel.matchExpressions.push({ key, operator, values });
    });
  }
  return ok ? sel : undefined;
}

/** A label key without its Cilium source prefix; `k8s:` and `any:` are the sources endpoints have. */
function labelKey(w: Walk, node: unknown, path: string, raw: string): string | undefined {
  let key = raw;
  const colon = raw.indexOf(":");
  if (colon >= 0) {
    const source = raw.slice(0, colon);
    if (source !== "k8s" && source !== "any") {
      const hint = source === "reserved" ? "; use fromEntities/toEntities for host and world" : "";
      w.error(node, path, `label source "${source}:" is not supported (only k8s: and any:)${hint}`);
      return undefined;
    }
    key = raw.slice(colon + 1);
  }
  const problem = labelKeyError(key);
  if (problem) {
    w.error(node, path, problem);
    return undefined;
  }
  return key;
}

function labelValue(w: Walk, node: unknown, path: string, value: string): boolean {
  const problem = labelValueError(value);
  if (problem) w.error(node, path, problem);
  return problem === undefined;
}

/** Whether the selector matches a label set (labels as `key → value`). */
export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  for (const k in sel.matchLabels) if (labels[k] !== sel.matchLabels[k]) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case "In":
        if (!has || !e.values.includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (has && e.values.includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Whether the selector says anything about the namespace label (then Cilium adds no implicit namespace). */
export function namesNamespace(sel: Selector): boolean {
  return Object.hasOwn(sel.matchLabels, NAMESPACE_LABEL) || sel.matchExpressions.some((e) => e.key === NAMESPACE_LABEL);
}

/** `{app=app2, env in (a,b), !debug}`; `{}` selects everything in scope. */
export function describeSelector(sel: Selector): string {
  const parts = Object.keys(sel.matchLabels)
    .sort()
    .map((k) => `${k}=${sel.matchLabels[k]}`);
  for (const e of sel.matchExpressions) {
    if (e.operator === "In") parts.push(`${e.key} in (${e.values.join(",")})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${e.values.join(",")})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return `{${parts.join(", ")}}`;
}
