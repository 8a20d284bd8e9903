// Errors of a policy apply: every problem of every document, each with its file, YAML path and line.

export interface PolicyError {
  /** File name (or "-" for stdin) the document came from. */
  source: string;
  /** Path inside the object, e.g. `spec.ingress[0].toPorts[0].ports[0].port` (`items[2].` inside a list). */
  path: string;
  /** 1-based line of the offending node, when known. */
  line?: number;
  message: string;
}

/** One line: `file.yaml:12: spec.ingress[0].toPorts[0].ports[0].port: port 70000 is out of range 1-65535`. */
export function formatPolicyError(e: PolicyError): string {
  const where = e.line === undefined ? e.source : `${e.source}:${e.line}`;
  return e.path ? `${where}: ${e.path}: ${e.message}` : `${where}: ${e.message}`;
}
