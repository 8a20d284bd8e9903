// Expires idle policy connection-tracking entries (fl_ct) from user space, with Cilium-like
// lifetimes: established TCP 6 h, TCP after FIN/RST 10 s, everything else 60 s. The kernel only
// refreshes last_ns (at most once a second); an expired connection that sends again is checked
// against policy anew, like a new one.
import { CtFlag, Layout } from "../../datapath/layout.js";

const KF = Layout.fl_ct_key.fields;
const VF = Layout.fl_ct_value.fields;
const IPPROTO_TCP = 6;

export interface CtTimeouts {
  tcpMs: number;
  tcpClosingMs: number;
  otherMs: number;
}

export const defaultCtTimeouts: CtTimeouts = { tcpMs: 6 * 3600_000, tcpClosingMs: 10_000, otherMs: 60_000 };

/** The part of a BPF map the sweep uses (BpfMap has it). */
export interface CtMap {
  readonly keySize: number;
  readonly valueSize: number;
  delete(key: Uint8Array): boolean;
  entries(): Iterable<[Buffer, Buffer]>;
  lookupBatch?(): { keys: Buffer; values: Buffer; count: number } | undefined;
}

function* ctEntries(ct: CtMap): Generator<[Buffer, Buffer]> {
  const batch = ct.lookupBatch?.();
  if (batch === undefined) {
    yield* ct.entries();
    return;
  }
  for (let i = 0; i < batch.count; i++)
    yield [batch.keys.subarray(i * ct.keySize, (i + 1) * ct.keySize), batch.values.subarray(i * ct.valueSize, (i + 1) * ct.valueSize)];
}

/** Deletes entries idle past their lifetime at monotonic time nowNs; returns what it saw and removed. */
export function sweepCt(ct: CtMap, nowNs: number, t: CtTimeouts = defaultCtTimeouts): { entries: number; expired: number } {
  const stale: Buffer[] = [];
  let entries = 0;
  for (const [key, val] of ctEntries(ct)) {
    entries++;
    const last = val.readUInt32LE(VF.last_ns + 4) * 4294967296 + val.readUInt32LE(VF.last_ns);
    const idleMs = (nowNs - last) / 1e6;
    const tcp = key[KF.proto] === IPPROTO_TCP;
    const limit = !tcp ? t.otherMs : val[VF.flags] & CtFlag.CLOSING ? t.tcpClosingMs : t.tcpMs;
    if (idleMs > limit) stale.push(Buffer.from(key));
  }
  for (const k of stale) ct.delete(k);
  return { entries, expired: stale.length };
}
