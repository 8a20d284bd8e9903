// Kernel skb_drop_reason values (read from this kernel's BTF: they differ between releases)
// and their mapping onto Hubble's DropReason enum.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { DropReason } from "@flowlens/proto";

const run = promisify(execFile);

/** Kernel reason name (without SKB_DROP_REASON_) -> Hubble DropReason. Unlisted: DROP_REASON_UNKNOWN. */
const TO_HUBBLE: Record<string, DropReason> = {
  NO_SOCKET: DropReason.SOCKET_LOOKUP_FAILED,
  PKT_TOO_SMALL: DropReason.INVALID_PACKET_DROPPED,
  PKT_TOO_BIG: DropReason.INVALID_PACKET_DROPPED,
  IP_CSUM: DropReason.INVALID_PACKET_DROPPED,
  IP_INHDR: DropReason.INVALID_PACKET_DROPPED,
  TCP_CSUM: DropReason.INVALID_PACKET_DROPPED,
  UDP_CSUM: DropReason.INVALID_PACKET_DROPPED,
  IP_NOPROTO: DropReason.UNKNOWN_L4_PROTOCOL,
  UNHANDLED_PROTO: DropReason.UNSUPPORTED_L3_PROTOCOL,
  IP_RPFILTER: DropReason.STALE_OR_UNROUTABLE_IP,
  IP_INADDRERRORS: DropReason.STALE_OR_UNROUTABLE_IP,
  IP_INNOROUTES: DropReason.STALE_OR_UNROUTABLE_IP,
  IP_OUTNOROUTES: DropReason.STALE_OR_UNROUTABLE_IP,
  NEIGH_FAILED: DropReason.STALE_OR_UNROUTABLE_IP,
  IPV6_BAD_EXTHDR: DropReason.INVALID_IPV6_EXTENSION_HEADER,
  TCP_INVALID_SEQUENCE: DropReason.UNKNOWN_CONNECTION_TRACKING_STATE,
};

export class KernelDropReasons {
  constructor(private readonly names: Map<number, string>) {}

  /** Reads enum skb_drop_reason from /sys/kernel/btf/vmlinux through bpftool (once, at start). */
  static async load(): Promise<KernelDropReasons> {
    const names = new Map<number, string>();
    try {
      const { stdout } = await run("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], {
        maxBuffer: 256 * 1024 * 1024,
      });
      // Only the body of `enum skb_drop_reason` (other enums share the prefix).
      const body = /enum skb_drop_reason \{([^}]*)\}/.exec(stdout)?.[1] ?? "";
      for (const m of body.matchAll(/\bSKB_DROP_REASON_([A-Z0-9_]+) = (\d+),/g)) names.set(Number(m[2]), m[1]);
    } catch {
      // Without names, drops still show with their number.
    }
    return new KernelDropReasons(names);
  }

  name(reason: number): string {
    return this.names.get(reason) ?? `REASON_${reason}`;
  }

  hubble(reason: number): DropReason {
    return TO_HUBBLE[this.name(reason)] ?? DropReason.DROP_REASON_UNKNOWN;
  }
}
