// tracefs (tracepoint attach) and bpffs (pinning) must be mounted; mount them when missing.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

function mounted(path: string, fstype: string): boolean {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((l) => {
      const [, mnt, type] = l.split(" ");
      return mnt === path && type === fstype;
    });
}

export function ensureMounts(): void {
  if (!existsSync("/sys/kernel/tracing/events") && !mounted("/sys/kernel/tracing", "tracefs")) {
    try {
      execFileSync("mount", ["-t", "tracefs", "tracefs", "/sys/kernel/tracing"]);
    } catch {
      throw new Error("mount tracefs at /sys/kernel/tracing failed — run as root or mount it yourself");
    }
  }
  if (!mounted("/sys/fs/bpf", "bpf")) {
    try {
      execFileSync("mount", ["-t", "bpf", "bpf", "/sys/fs/bpf"]);
    } catch {
      throw new Error("mount bpffs at /sys/fs/bpf failed — run as root or mount it yourself");
    }
  }
}
