// Reading policy files: CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy objects, several per
// file (`---`) or inside a List. Every error of every document is collected; a caller applies the
// policies only when the error list is empty.

import { isAlias, LineCounter, parseAllDocuments, visit, type YAMLMap } from "yaml";
import type { PolicyRef } from "./compiled.js";
import type { PolicyError } from "./errors.js";
import { inputCountError, inputSizeError, POLICY_INPUT_LIMITS } from "./limits.js";
import type { Policy, PolicyRule } from "./model.js";
import { parseRule } from "./parse-rule.js";
import { join, kindOf, Walk } from "./yaml-walk.js";

export const AUDIT_ANNOTATION = "flowlens.io/audit-mode";
const API_VERSION = "cilium.io/v2";
const POLICY_KINDS = ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"] as const;
const LIST_KINDS = ["List", "CiliumNetworkPolicyList", "CiliumClusterwideNetworkPolicyList"];
/** Set by the API server, meaningless for policy: accepted so `kubectl get -o yaml` output applies. */
const SERVER_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface PolicyDocument {
  /** File name for messages ("-" for stdin). */
  source: string;
  text: string;
}

export function parsePolicyDocuments(docs: PolicyDocument[], limits = POLICY_INPUT_LIMITS): { policies: Policy[]; errors: PolicyError[] } {
  const tooBig = inputSizeError(docs, limits.bytes);
  if (tooBig) return { policies: [], errors: [tooBig] };
  const errors: PolicyError[] = [];
  const policies: Policy[] = [];
  const seen = new Map<string, { source: string; line?: number }>();
  for (const { source, text } of docs) {
    const lines = new LineCounter();
    const parsed = parseAllDocuments(text, { lineCounter: lines });
    if (!Array.isArray(parsed)) continue; // empty stream
    for (const doc of parsed) {
      const w = new Walk(source, doc, lines, errors);
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          // the first line only, without the library's "at line L, column C:" (the error has the line)
          const message = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
          errors.push({ source, path: "", line: e.linePos?.[0].line, message: `YAML: ${message}` });
        }
        continue;
      }
      // Aliases can expand a small text into an exponentially large tree (and rules): refused.
      let alias: unknown;
      visit(doc, {
        Alias(_key, node) {
          alias = node;
          return visit.BREAK;
        },
      });
      if (isAlias(alias)) {
        w.error(alias, "", `YAML aliases (*${alias.source}) are not accepted in policies: write the value out`);
        continue;
      }
      const contents = w.resolve(doc.contents);
      if (contents === null || w.scalar(contents) === null) continue; // empty document (e.g. a trailing ---)
      for (const p of parseObject(w, contents, "", text, true)) {
        const key = refKey(p.policy.ref);
        const first = seen.get(key);
        if (first) {
          const at = first.line === undefined ? first.source : `${first.source}:${first.line}`;
          errors.push({ source, path: p.namePath, line: p.nameLine, message: `duplicate policy ${key} (first defined at ${at})` });
        } else {
          seen.set(key, { source, line: p.nameLine });
        }
        policies.push(p.policy);
      }
    }
  }
  const tooMany = errors.length === 0 ? inputCountError(docs, policies, limits) : undefined;
  if (tooMany) return { policies: [], errors: [tooMany] };
  return { policies: errors.length === 0 ? policies : [], errors: byPosition(errors, docs) };
}

/** Errors in file order, then line order (checks run field by field, not top to bottom). */
function byPosition(errors: PolicyError[], docs: PolicyDocument[]): PolicyError[] {
  const fileIndex = new Map(docs.map((d, i) => [d.source, i] as const));
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (fileIndex.get(a.e.source) ?? 0) - (fileIndex.get(b.e.source) ?? 0) || (a.e.line ?? 0) - (b.e.line ?? 0) || a.i - b.i)
    .map((x) => x.e);
}

/** `kind namespace/name` (or `kind name` for clusterwide policies): what duplicates and messages name. */
function refKey(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}

interface Parsed {
  policy: Policy;
  namePath: string;
  nameLine?: number;
}

function parseObject(w: Walk, node: unknown, path: string, text: string, topLevel: boolean): Parsed[] {
  const m = w.map(node, path || "(document)");
  if (!m) return [];
  const kindNode = m.get("kind", true);
  const kind = w.scalar(kindNode);
  if (kind === undefined || kind === null) {
    w.error(node, join(path, "kind"), `is required (${POLICY_KINDS.join(" or ")})`);
    return [];
  }
  if (typeof kind === "string" && LIST_KINDS.includes(kind)) {
    if (!topLevel) {
      w.error(kindNode, join(path, "kind"), "a List cannot contain another List");
      return [];
    }
    return parseList(w, m, path, kind, text);
  }
  if (typeof kind !== "string" || !(POLICY_KINDS as readonly string[]).includes(kind)) {
    const hint = kind === "NetworkPolicy" ? " (Kubernetes NetworkPolicy is not supported: write a CiliumNetworkPolicy)" : "";
    w.error(kindNode, join(path, "kind"), `kind ${kindOf(kindNode)} is not supported${hint}; use ${POLICY_KINDS.join(" or ")}`);
    return [];
  }
  const p = parsePolicy(w, m, path, kind as PolicyRef["kind"], text);
  return p ? [p] : [];
}

function parseList(w: Walk, m: YAMLMap, path: string, kind: string, text: string): Parsed[] {
  const f = w.fields(m, path, ["apiVersion", "kind", "metadata", "items"]);
  checkApiVersion(w, m, path, f.get("apiVersion")?.value, kind === "List" ? ["v1", API_VERSION] : [API_VERSION]);
  const items = f.get("items");
  if (!items) {
    w.error(m, join(path, "items"), "is required");
    return [];
  }
  const list = w.seq(items.value, items.path);
  return (list?.items ?? []).flatMap((item, i) => parseObject(w, item, `${items.path}[${i}]`, text, false));
}

function checkApiVersion(w: Walk, m: YAMLMap, path: string, node: unknown, accepted: string[]): void {
  const at = join(path, "apiVersion");
  if (node === undefined) {
    w.error(m, at, `is required (${accepted.join(" or ")})`);
    return;
  }
  const v = w.string(node, at);
  if (v !== undefined && !accepted.includes(v)) w.error(node, at, `apiVersion "${v}" is not supported (${accepted.join(" or ")})`);
}

function parsePolicy(w: Walk, m: YAMLMap, path: string, kind: PolicyRef["kind"], text: string): Parsed | undefined {
  const before = w.errors.length;
  const clusterwide = kind === "CiliumClusterwideNetworkPolicy";
  // status is written by Cilium's agents, never by users: ignored like server metadata.
  const f = w.fields(m, path, ["apiVersion", "kind", "metadata", "spec", "specs", "status"]);
  checkApiVersion(w, m, path, f.get("apiVersion")?.value, [API_VERSION]);

  const ref: PolicyRef = { name: "", namespace: clusterwide ? "" : "default", kind };
  let audit = false;
  let namePath = join(path, "metadata.name");
  let nameLine = w.line(m);
  const meta = f.get("metadata");
  if (!meta) w.error(m, namePath, "is required");
  else {
    const mm = w.map(meta.value, meta.path);
    const mf = mm ? w.fields(mm, meta.path, ["name", "namespace", "annotations", "labels", ...SERVER_METADATA]) : new Map();
    const name = mf.get("name");
    if (!name) w.error(meta.key, namePath, "is required");
    else {
      namePath = name.path;
      nameLine = w.line(name.value);
      const n = w.string(name.value, name.path);
      if (n !== undefined && (n.length > 253 || !DNS_SUBDOMAIN.test(n))) {
        w.error(name.value, name.path, `"${n}" is not a valid name (lowercase letters, digits, "-" and ".", at most 253)`);
      } else if (n !== undefined) ref.name = n;
    }
    const ns = mf.get("namespace");
    // A clusterwide policy has no namespace: the API server drops one if given, and so do we.
    if (ns && !clusterwide) {
      const v = w.string(ns.value, ns.path);
      if (v !== undefined && (v.length > 63 || !DNS_LABEL.test(v))) {
        w.error(ns.value, ns.path, `"${v}" is not a valid namespace (lowercase letters, digits and "-", at most 63)`);
      } else if (v !== undefined) ref.namespace = v;
    }
    const ann = mf.get("annotations");
    if (ann) audit = parseAnnotations(w, ann.value, ann.path);
    const labels = mf.get("labels");
    if (labels) {
      const lm = w.map(labels.value, labels.path);
      for (const pair of lm?.items ?? []) w.string(pair.value, join(labels.path, String(w.scalar(pair.key))));
    }
  }

  const scope = { namespace: clusterwide ? undefined : ref.namespace };
  const rules: PolicyRule[] = [];
  const spec = f.get("spec");
  const specs = f.get("specs");
  if (!spec && !specs) w.error(m, join(path, "spec"), "is required (or specs, a list of rules)");
  if (spec) {
    const r = parseRule(w, spec.value, spec.path, scope);
    if (r) rules.push({ ...r, path: "spec" });
  }
  if (specs) {
    const list = w.seq(specs.value, specs.path);
    list?.items.forEach((item, i) => {
      const r = parseRule(w, item, `${specs.path}[${i}]`, scope);
      if (r) rules.push({ ...r, path: `specs[${i}]` });
    });
  }
  if (w.errors.length !== before) return undefined;
  return { policy: { ref, audit, rules, text: sourceText(text, m.range), source: w.source, line: w.line(m) }, namePath, nameLine };
}

function parseAnnotations(w: Walk, node: unknown, path: string): boolean {
  const m = w.map(node, path);
  let audit = false;
  for (const pair of m?.items ?? []) {
    const key = w.scalar(pair.key);
    const at = join(path, String(key));
    const v = w.string(pair.value, at);
    if (key !== AUDIT_ANNOTATION || v === undefined) continue;
    if (v === "true") audit = true;
    else if (v !== "false") w.error(pair.value, at, `must be "true" or "false", got "${v}"`);
  }
  return audit;
}

/** The object's own lines as written, de-indented (a List item loses its "- " and indentation). */
function sourceText(text: string, range: [number, number, number] | null | undefined): string {
  if (!range) return "";
  const lineStart = text.lastIndexOf("\n", range[0] - 1) + 1;
  const col = range[0] - lineStart;
  const lines = text.slice(lineStart, range[1]).split("\n");
  lines[0] = " ".repeat(col) + lines[0].slice(col);
  const out = lines.map((l) => {
    let i = 0;
    while (i < col && i < l.length && (l[i] === " " || l[i] === "\t")) i++;
    return l.slice(i).trimEnd();
  });
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return `${out.join("\n")}\n`;
}
