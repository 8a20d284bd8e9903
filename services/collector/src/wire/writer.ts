// A small protobuf writer for the hot path: one growing buffer, nested messages reserve one
// length byte and shift when longer. Field numbers come from the generated descriptors.

const WT_VARINT = 0;
const WT_LEN = 2;

export class ProtoWriter {
  private buf: Buffer;
  pos = 0;

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned varint of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** uint32/uint64/int32 (non-negative)/enum; proto3 default 0 is not written. */
  uint(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, WT_VARINT);
    this.varint(v);
  }

  bool(field: number, v: boolean): void {
    if (!v) return;
    this.tag(field, WT_VARINT);
    this.varint(1);
  }

  string(field: number, s: string): void {
    if (s === "") return;
    const start = this.begin(field);
    const n = s.length;
    this.ensure(n * 3);
    // Names, addresses and labels are nearly always short ASCII: a plain loop beats buf.write.
    let i = 0;
    const b = this.buf;
    let p = this.pos;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      b[p++] = c;
    }
    this.pos = i === n ? p : this.pos + b.write(s, this.pos, "utf8");
    this.end(start);
  }

  bytes(field: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.tag(field, WT_LEN);
    this.varint(data.length);
    this.raw(data);
  }

  /** Already-encoded fields, appended as they are. */
  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Starts a length-delimited field; pass the result to end(). */
  begin(field: number): number {
    this.tag(field, WT_LEN);
    this.ensure(1);
    return this.pos++;
  }

  end(lenPos: number): void {
    const len = this.pos - lenPos - 1;
    if (len < 0x80) {
      this.buf[lenPos] = len;
      return;
    }
    let extra = 0;
    for (let v = len; v >= 0x80; v = Math.floor(v / 0x80)) extra++;
    this.ensure(extra);
    this.buf.copyWithin(lenPos + 1 + extra, lenPos + 1, this.pos);
    this.pos += extra;
    let v = len;
    let p = lenPos;
    while (v >= 0x80) {
      this.buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[p] = v;
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
