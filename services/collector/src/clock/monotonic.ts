// Kernel timestamps are CLOCK_MONOTONIC (bpf_ktime_get_ns); flows carry wall-clock time.

import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";

let offsetNs = 0;

/** Re-reads the realtime - monotonic offset (call at start and now and then: NTP steps the wall clock). */
export function syncClock(): void {
  // process.hrtime is libuv's uv_hrtime: CLOCK_MONOTONIC, the clock bpf_ktime_get_ns reads.
  offsetNs = Date.now() * 1e6 - Number(process.hrtime.bigint());
}
syncClock();

export function monoToWallNs(monoNs: number): number {
  return monoNs + offsetNs;
}

export function wallNsToMono(wallNs: number): number {
  return wallNs - offsetNs;
}

export function monoNowNs(): number {
  return Number(process.hrtime.bigint());
}

export function timestampFromWallNs(wallNs: number): Timestamp {
  const seconds = Math.floor(wallNs / 1e9);
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos: Math.floor(wallNs - seconds * 1e9) });
}

export function timestampToWallNs(ts: Timestamp): number {
  return Number(ts.seconds) * 1e9 + ts.nanos;
}

export { timestampFromMs };
