// Endpoint declarations (endpoints file, API): parsing and validation with precise messages.
import { labelKeyError, labelValueError } from "@flowlens/policy";
import { parse as parseYaml } from "yaml";
import { ipVersionOf } from "../net/ip.js";

export interface EndpointSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** A name under /var/run/netns or an absolute path to a netns file. */
  netns: string;
  /** Host-side veth of the endpoint. */
  interface: string;
  /** Read from inside the netns when not given. */
  ips?: string[];
  /** cgroup v2 path of the endpoint's processes (used by socket-level policy). */
  cgroup?: string;
}

export class EndpointSpecError extends Error {}

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const IFNAME_RE = /^[^\s/]{1,15}$/;

/** Validates one endpoint; `where` names it in messages (e.g. "endpoints.yaml: endpoints[2]"). */
export function validateEndpoint(raw: unknown, where: string): EndpointSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new EndpointSpecError(`${where}: must be a mapping`);
  const r = raw as Record<string, unknown>;
  const known = new Set(["name", "namespace", "labels", "netns", "interface", "ips", "cgroup"]);
  for (const k of Object.keys(r)) if (!known.has(k)) throw new EndpointSpecError(`${where}: unknown field "${k}"`);
  const str = (k: string, required: boolean): string | undefined => {
    const v = r[k];
    if (v === undefined || v === null) {
      if (required) throw new EndpointSpecError(`${where}: "${k}" is required`);
      return undefined;
    }
    if (typeof v !== "string" || v === "") throw new EndpointSpecError(`${where}.${k}: must be a non-empty string`);
    return v;
  };
  const name = str("name", true) as string;
  if (!NAME_RE.test(name)) throw new EndpointSpecError(`${where}.name: "${name}" is not a DNS-1123 name`);
  const namespace = str("namespace", false) ?? "default";
  if (!NAME_RE.test(namespace)) throw new EndpointSpecError(`${where}.namespace: "${namespace}" is not a DNS-1123 name`);
  const netns = str("netns", true) as string;
  const iface = str("interface", true) as string;
  if (!IFNAME_RE.test(iface)) throw new EndpointSpecError(`${where}.interface: "${iface}" is not an interface name`);
  const labels: Record<string, string> = {};
  if (r.labels !== undefined && r.labels !== null) {
    if (typeof r.labels !== "object" || Array.isArray(r.labels))
      throw new EndpointSpecError(`${where}.labels: must be a mapping of strings`);
    for (const [k, v] of Object.entries(r.labels as Record<string, unknown>)) {
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
        throw new EndpointSpecError(`${where}.labels.${k}: must be a string`);
      // Labels make the identity policy selects on: the same syntax as the selectors that match them.
      const problem = labelKeyError(k) ?? labelValueError(String(v));
      if (problem) throw new EndpointSpecError(`${where}.labels: ${problem}`);
      labels[k] = String(v);
    }
  }
  let ips: string[] | undefined;
  if (r.ips !== undefined && r.ips !== null) {
    if (!Array.isArray(r.ips)) throw new EndpointSpecError(`${where}.ips: must be a list of IP addresses`);
    ips = r.ips.map((ip, i) => {
      if (typeof ip !== "string" || ipVersionOf(ip) === 0)
        throw new EndpointSpecError(`${where}.ips[${i}]: "${String(ip)}" is not an IP address`);
      return ip;
    });
  }
  const cgroup = str("cgroup", false);
  return { name, namespace, labels, netns, interface: iface, ...(ips ? { ips } : {}), ...(cgroup ? { cgroup } : {}) };
}

/** Parses an endpoints file (YAML or JSON): `{endpoints: [...]}` or a bare list. */
export function parseEndpointsFile(text: string, file: string): EndpointSpec[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new EndpointSpecError(`${file}: not valid YAML/JSON: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
  if (doc === null || doc === undefined) return [];
  const list = Array.isArray(doc) ? doc : (doc as Record<string, unknown>).endpoints;
  if (!Array.isArray(list)) throw new EndpointSpecError(`${file}: expected a list of endpoints or a mapping with "endpoints:"`);
  const specs = list.map((e, i) => validateEndpoint(e, `${file}: endpoints[${i}]`));
  const seen = new Set<string>();
  for (const s of specs) {
    const id = `${s.namespace}/${s.name}`;
    if (seen.has(id)) throw new EndpointSpecError(`${file}: endpoint ${id} declared twice`);
    seen.add(id);
  }
  return specs;
}
