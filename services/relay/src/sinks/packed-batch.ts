// A batch of flows packed into one ArrayBuffer, so the main thread hands it to the Kafka worker by
// transfer (no structured clone of thousands of objects): [n u32, pad u32][time ns f64 × n]
// [end offset u32 × n][encoded flow.Flow bytes, back to back].

export interface PackedFlow {
  /** Encoded flow.Flow. */
  bytes: Uint8Array;
  /** Wall-clock ns since the epoch. */
  timeNs: number;
}

const HEADER = 8;

export function packBatch(flows: readonly PackedFlow[]): ArrayBuffer {
  const n = flows.length;
  let size = 0;
  for (const f of flows) size += f.bytes.length;
  const start = HEADER + 12 * n;
  const buf = new ArrayBuffer(start + size);
  new Uint32Array(buf, 0, 1)[0] = n;
  const times = new Float64Array(buf, HEADER, n);
  const ends = new Uint32Array(buf, HEADER + 8 * n, n);
  const bytes = new Uint8Array(buf, start);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const f = flows[i];
    bytes.set(f.bytes, at);
    at += f.bytes.length;
    ends[i] = at;
    times[i] = f.timeNs;
  }
  return buf;
}

/** The flows of a packed batch; their bytes are views into `buf`. */
export function unpackBatch(buf: ArrayBuffer): PackedFlow[] {
  const n = new Uint32Array(buf, 0, 1)[0];
  const times = new Float64Array(buf, HEADER, n);
  const ends = new Uint32Array(buf, HEADER + 8 * n, n);
  const start = HEADER + 12 * n;
  const out = new Array<PackedFlow>(n);
  let from = 0;
  for (let i = 0; i < n; i++) {
    out[i] = { bytes: new Uint8Array(buf, start + from, ends[i] - from), timeNs: times[i] };
    from = ends[i];
  }
  return out;
}
