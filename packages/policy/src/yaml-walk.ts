// Reading a parsed YAML node tree with positions: every check reports the path and line of the
// node it looked at, and problems are collected (never thrown) so one apply lists all of them.

import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type YAMLMap, type YAMLSeq } from "yaml";
import type { PolicyError } from "./errors.js";

export class Walk {
  constructor(
    readonly source: string,
    readonly doc: Document,
    readonly lines: LineCounter,
    readonly errors: PolicyError[],
  ) {}

  line(node: unknown): number | undefined {
    const range = (node as Node | null)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }

  error(node: unknown, path: string, message: string): void {
    this.errors.push({ source: this.source, path, line: this.line(node), message });
  }

  /** Follows anchors (`*x`) to the node they name. */
  resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  map(node: unknown, path: string): YAMLMap | undefined {
    const n = this.resolve(node);
    if (isMap(n)) return n;
    this.error(node, path, `must be a mapping, got ${kindOf(n)}`);
    return undefined;
  }

  seq(node: unknown, path: string): YAMLSeq | undefined {
    const n = this.resolve(node);
    if (isSeq(n)) return n;
    this.error(node, path, `must be a list, got ${kindOf(n)}`);
    return undefined;
  }

  /** A non-empty list; `[]` is refused because Cilium reads an empty list as "not given". */
  nonEmptySeq(node: unknown, path: string): YAMLSeq | undefined {
    const s = this.seq(node, path);
    if (s && s.items.length === 0) {
      this.error(node, path, "is an empty list: remove the field or list at least one element");
      return undefined;
    }
    return s;
  }

  string(node: unknown, path: string): string | undefined {
    const n = this.resolve(node);
    if (isScalar(n) && typeof n.value === "string") return n.value;
    this.error(node, path, `must be a string, got ${kindOf(n)}${isScalar(n) && n.value !== null ? " (quote it)" : ""}`);
    return undefined;
  }

  bool(node: unknown, path: string): boolean | undefined {
    const n = this.resolve(node);
    if (isScalar(n) && typeof n.value === "boolean") return n.value;
    this.error(node, path, `must be true or false, got ${kindOf(n)}`);
    return undefined;
  }

  /** The scalar value (number, string, boolean, null) or undefined for collections. */
  scalar(node: unknown): unknown {
    const n = this.resolve(node);
    return isScalar(n) ? n.value : undefined;
  }

  /**
   * The fields of a mapping, checking every key against `allowed` (field → true) and `unsupported`
   * (Cilium field → why flowlens refuses it). Unknown and unsupported keys are errors naming the field.
   */
  fields(m: YAMLMap, path: string, allowed: readonly string[], unsupported: Record<string, string> = {}): Map<string, FieldNode> {
    const out = new Map<string, FieldNode>();
    for (const pair of m.items) {
      const key = this.resolve(pair.key);
      const name = isScalar(key) ? String(key.value) : "";
      const at = join(path, name);
      if (!isScalar(key) || typeof key.value !== "string") {
        this.error(pair.key, path, `keys must be strings, got ${kindOf(key)}`);
      } else if (allowed.includes(name)) {
        out.set(name, { value: pair.value, key: pair.key, path: at });
      } else if (name in unsupported) {
        this.error(pair.key, at, `field "${name}" is not supported: ${unsupported[name]}`);
      } else {
        this.error(pair.key, at, `unknown field "${name}" (allowed here: ${allowed.join(", ")})`);
      }
    }
    return out;
  }
}

export interface FieldNode {
  value: unknown;
  key: unknown;
  path: string;
}

export function join(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

export function kindOf(n: unknown): string {
  if (isMap(n)) return "a mapping";
  if (isSeq(n)) return "a list";
  if (isScalar(n)) {
    if (n.value === null) return "nothing";
    if (typeof n.value === "string") return `"${n.value}"`;
    return `${typeof n.value} ${String(n.value)}`;
  }
  return "nothing";
}
