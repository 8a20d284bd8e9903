// Linux capabilities of a process, read from /proc/<pid>/status (CapEff, CapPrm, CapBnd: hex masks),
// so daemons can check for the capabilities they need instead of uid 0 and tests can see what a
// running process holds. Numbers are the kernel's (include/uapi/linux/capability.h).
import { readFileSync } from "node:fs";

export const CAPABILITY_NUMBERS = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;

export type Capability = keyof typeof CAPABILITY_NUMBERS;

const NAMES = new Map<number, Capability>(Object.entries(CAPABILITY_NUMBERS).map(([k, v]) => [v, k as Capability]));

export interface ProcessCapabilities {
  effective: Set<Capability>;
  permitted: Set<Capability>;
  bounding: Set<Capability>;
}

function maskToSet(hex: string, field: string): Set<Capability> {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw new Error(`${field}: "${hex}" is not a capability mask`);
  const mask = BigInt(`0x${hex}`);
  const out = new Set<Capability>();
  for (const [n, name] of NAMES) if ((mask >> BigInt(n)) & 1n) out.add(name);
  return out;
}

/** Parses the Cap* lines of a /proc/<pid>/status text. */
export function parseCapabilities(status: string): ProcessCapabilities {
  const field = (name: string): Set<Capability> => {
    const m = new RegExp(`^${name}:\\s*(\\S+)\\s*$`, "m").exec(status);
    if (!m) throw new Error(`no ${name} line in the process status`);
    return maskToSet(m[1], name);
  };
  return { effective: field("CapEff"), permitted: field("CapPrm"), bounding: field("CapBnd") };
}

/** Capabilities of a running process ("self" by default; "PID/task/TID" for one thread). */
export function processCapabilities(pid: number | string = "self"): ProcessCapabilities {
  return parseCapabilities(readFileSync(`/proc/${pid}/status`, "utf8"));
}

/** Which of `needed` the effective set lacks, in the order asked. */
export function missingCapabilities(have: ProcessCapabilities, needed: readonly Capability[]): Capability[] {
  return needed.filter((c) => !have.effective.has(c));
}
