// Pod topology: the spec type, address and interface-name assignment, and loading infra/demo/pods.yaml.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export interface PodSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ipv4?: string;
  ipv6?: string;
}

export interface PodsSpec {
  /** Names every netns ("<prefix>-<pod>"), veth ("<prefix>v<N>") and the bridge ("<prefix>-br0"). */
  prefix: string;
  /**
   * IPv4 /24; the IPv6 /64 is derived: 10.A.B.0/24 -> fd00:A:B::/64. createPods() defaults to the first
   * free 10.200.N.0/24 (10.200.0.0/24 when nothing else runs), so read addresses from the result.
   */
  subnet?: string;
  pods: PodSpec[];
}

/** One pod as planned: names and addresses resolved. */
export interface PodPlan {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  netns: string;
  hostIf: string;
  ipv4: string;
  ipv6: string;
}

export interface Plan {
  prefix: string;
  bridge: string;
  hostIpv4: string;
  hostIpv6: string;
  pods: PodPlan[];
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DEMO_PODS_FILE = resolve(REPO_ROOT, "infra/demo/pods.yaml");
export const DEFAULT_SUBNET = "10.200.0.0/24";
const IFNAMSIZ = 15;

/** Resolves names and addresses; throws one line for a bad prefix, subnet, or duplicate pod. */
export function planPods(spec: PodsSpec): Plan {
  const { prefix } = spec;
  if (!/^[a-z][a-z0-9]{1,9}$/.test(prefix)) {
    throw new Error(`pods: prefix "${prefix}" must be 2-10 lowercase letters/digits (interface names are <= 15 chars)`);
  }
  const subnet = spec.subnet ?? DEFAULT_SUBNET;
  const m = /^10\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) {
    throw new Error(`pods: subnet "${subnet}" must look like 10.A.B.0/24`);
  }
  const v4 = `10.${m[1]}.${m[2]}.`;
  // The decimal octets are reused as hex digits so the demo reads 10.200.0.10 <-> fd00:200::10.
  const v6 = `fd00:${m[1]}:${m[2]}::`.replace(":0::", "::");
  const seen = new Set<string>();
  const pods = spec.pods.map((pod, i): PodPlan => {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(pod.name)) throw new Error(`pods: pod name "${pod.name}" must be lowercase letters, digits, dashes`);
    if (seen.has(pod.name)) throw new Error(`pods: pod "${pod.name}" is declared twice`);
    seen.add(pod.name);
    const hostIf = `${prefix}v${i}`;
    if (hostIf.length > IFNAMSIZ) throw new Error(`pods: interface name ${hostIf} is longer than ${IFNAMSIZ} chars`);
    return {
      name: pod.name,
      namespace: pod.namespace ?? "default",
      labels: { ...(pod.labels ?? {}) },
      netns: `${prefix}-${pod.name}`,
      hostIf,
      ipv4: pod.ipv4 ?? `${v4}${10 + i}`,
      ipv6: pod.ipv6 ?? `${v6}${10 + i}`,
    };
  });
  return {
    prefix,
    bridge: `${prefix}-br0`,
    hostIpv4: `${v4}1`,
    hostIpv6: `${v6}1`,
    pods,
  };
}

/** Reads a pods YAML file (infra/demo/pods.yaml by default) into a spec. */
export function loadPodsFile(file = DEMO_PODS_FILE): PodsSpec {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`pods: cannot read ${file}: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
  const d = doc as Partial<PodsSpec> | null;
  if (!d || typeof d.prefix !== "string" || !Array.isArray(d.pods)) {
    throw new Error(`pods: ${file} needs "prefix" and a "pods" list`);
  }
  const pods = d.pods.map((p) => ({
    ...p,
    labels: Object.fromEntries(Object.entries(p.labels ?? {}).map(([k, v]) => [k, String(v)])),
  }));
  return { prefix: d.prefix, subnet: d.subnet, pods };
}
