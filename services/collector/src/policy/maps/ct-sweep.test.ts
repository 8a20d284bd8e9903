// The CT sweep's lifetimes: established TCP, closing TCP and other protocols.
import { describe, expect, it } from "vitest";
import { CtFlag, Layout } from "../../datapath/layout.js";
import { type CtMap, sweepCt } from "./ct-sweep.js";
import { ctKey } from "./keys.js";

const SEC = 1e9;

function ctValue(lastNs: number, flags = 0): Buffer {
  const b = Buffer.alloc(Layout.fl_ct_value.size);
  b.writeBigUInt64LE(BigInt(lastNs), Layout.fl_ct_value.fields.last_ns);
  b[Layout.fl_ct_value.fields.flags] = flags;
  return b;
}

function fakeCt(entries: [Buffer, Buffer][], batch: boolean): CtMap & { deleted: string[] } {
  const deleted: string[] = [];
  return {
    keySize: Layout.fl_ct_key.size,
    valueSize: Layout.fl_ct_value.size,
    deleted,
    delete: (k) => {
      deleted.push(Buffer.from(k).toString("hex"));
      return true;
    },
    entries: () => entries,
    lookupBatch: batch
      ? () => ({ keys: Buffer.concat(entries.map((e) => e[0])), values: Buffer.concat(entries.map((e) => e[1])), count: entries.length })
      : () => undefined,
  };
}

const key = (proto: number, sport: number) =>
  ctKey({ saddr: "10.0.0.1", daddr: "10.0.0.2", sport, dport: 80, proto, direction: "ingress" });

describe("sweepCt", () => {
  for (const batch of [true, false]) {
    it(`expires by protocol and state (${batch ? "batch lookup" : "iteration"})`, () => {
      const now = 100_000 * SEC;
      const entries: [Buffer, Buffer][] = [
        [key(6, 1), ctValue(now - 5 * 3600 * SEC)], // established TCP, 5 h idle: stays
        [key(6, 2), ctValue(now - 7 * 3600 * SEC)], // 7 h idle: goes
        [key(6, 3), ctValue(now - 5 * SEC, CtFlag.CLOSING)], // closing, 5 s: stays
        [key(6, 4), ctValue(now - 11 * SEC, CtFlag.CLOSING | CtFlag.L7)], // closing, 11 s: goes
        [key(17, 5), ctValue(now - 59 * SEC)], // UDP 59 s: stays
        [key(17, 6), ctValue(now - 61 * SEC)], // UDP 61 s: goes
      ];
      const ct = fakeCt(entries, batch);
      expect(sweepCt(ct, now)).toEqual({ entries: 6, expired: 3 });
      expect(ct.deleted).toEqual([key(6, 2), key(6, 4), key(17, 6)].map((k) => k.toString("hex")));
    });
  }
});
