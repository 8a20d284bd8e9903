// A protobuf wire-format cursor for the ingester's fast path (wire-row.ts), and the checks that read
// past the fields the row does not use exactly as protobuf-es would accept them. Anything it would
// not accept throws GIVE_UP: the caller then takes the protobuf-es path.
import { isUtf8 } from "node:buffer";
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { scalarWireType } from "@flowlens/proto";

/** Thrown inside the reader: the record is not one this fast path answers for. */
export class GiveUp extends Error {}
export const GIVE_UP = new GiveUp("not for the fast path");

export const VARINT = 0;
export const BIT64 = 1;
export const LEN = 2;
export const BIT32 = 5;
const RECURSION_LIMIT = 100; // protobuf-es' default

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// Buffer's native Latin-1 slice (undocumented, in every Node release): for ASCII it is the UTF-8 text.
const latin1 = (b: Buffer, from: number, to: number): string =>
  (b as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(from, to);

/** A cursor over one message's bytes; `end` is the current message's end. */
export class Reader {
  pos = 0;
  end = 0;
  /** The last varint64's halves (unsigned 32-bit each). */
  lo = 0;
  hi = 0;
  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** A varint of up to 10 bytes (protobuf's varint64 algorithm); sets lo/hi. */
  varint(): void {
    const b = this.buf;
    let lo = 0;
    let hi = 0;
    let x: number;
    for (let shift = 0; shift < 28; shift += 7) {
      x = b[this.pos++];
      lo |= (x & 0x7f) << shift;
      if ((x & 0x80) === 0) {
        this.done(lo, 0);
        return;
      }
    }
    x = b[this.pos++];
    lo |= (x & 0x0f) << 28;
    hi = (x & 0x70) >> 4;
    if ((x & 0x80) === 0) {
      this.done(lo, hi);
      return;
    }
    for (let shift = 3; shift <= 31; shift += 7) {
      x = b[this.pos++];
      hi |= (x & 0x7f) << shift;
      if ((x & 0x80) === 0) {
        this.done(lo, hi);
        return;
      }
    }
    throw GIVE_UP;
  }

  private done(lo: number, hi: number): void {
    if (this.pos > this.end) throw GIVE_UP;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** A field tag as protobuf-es reads one: at most 5 bytes, within 32 bits, field number > 0. */
  tag(): number {
    const start = this.pos;
    this.varint();
    const n = this.pos - start;
    if (n > 5 || (n === 5 && this.buf[this.pos - 1] > 0x0f) || this.lo >>> 3 === 0) throw GIVE_UP;
    return this.lo;
  }

  uint32(): number {
    this.varint();
    return this.lo;
  }

  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  bool(): boolean {
    this.varint();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** An unsigned 64-bit varint as a number (rounded as Number(bigint) rounds). */
  uint64(): number {
    this.varint();
    return this.hi * 4294967296 + this.lo;
  }

  /** The length of a length-delimited field; moves nothing past it. */
  length(): number {
    const start = this.pos;
    this.varint();
    if (this.pos - start > 5 || this.hi !== 0) throw GIVE_UP;
    if (this.pos + this.lo > this.end) throw GIVE_UP;
    return this.lo;
  }

  string(): string {
    const n = this.length();
    const b = this.buf;
    const from = this.pos;
    this.pos += n;
    let ascii = true;
    for (let i = from; i < from + n; i++)
      if (b[i] > 0x7f) {
        ascii = false;
        break;
      }
    if (ascii) return n === 0 ? "" : latin1(b, from, from + n);
    try {
      return strictUtf8.decode(b.subarray(from, from + n));
    } catch {
      throw GIVE_UP;
    }
  }

  /** Skips a string field, checking that it is UTF-8 as protobuf-es would decode it. */
  skipString(): void {
    const n = this.length();
    const b = this.buf;
    const from = this.pos;
    this.pos += n;
    for (let i = from; i < from + n; i++)
      if (b[i] > 0x7f) {
        if (!isUtf8(b.subarray(from, from + n))) throw GIVE_UP;
        return;
      }
  }

  /** Enters a length-delimited message; returns the end to restore with leave(). */
  enter(): number {
    const n = this.length();
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }

  leave(outer: number): void {
    if (this.pos !== this.end) throw GIVE_UP;
    this.end = outer;
  }

  /** Skips an unknown field (groups and invalid wire types are not for the fast path). */
  skip(wt: number): void {
    if (wt === VARINT) this.varint();
    else if (wt === LEN) {
      const n = this.length(); // before `this.pos +=` reads pos
      this.pos += n;
    } else if (wt === BIT64) this.pos += 8;
    else if (wt === BIT32) this.pos += 4;
    else throw GIVE_UP;
    if (this.pos > this.end) throw GIVE_UP;
  }
}

// Fields the fast path does not read are still checked against their declaration, so a record
// protobuf-es would refuse is never stored by this path.
const byNumber = new WeakMap<DescMessage, Map<number, DescField>>();
function fieldOf(desc: DescMessage, no: number): DescField | undefined {
  let m = byNumber.get(desc);
  if (!m) {
    m = new Map(desc.fields.map((f) => [f.number, f]));
    byNumber.set(desc, m);
  }
  return m.get(no);
}

function checkScalar(r: Reader, t: ScalarType, wt: number): void {
  if (wt !== scalarWireType(t)) throw GIVE_UP;
  if (t === ScalarType.STRING) r.skipString();
  else r.skip(wt);
}

function checkMessage(r: Reader, desc: DescMessage, depth: number): void {
  if (depth > RECURSION_LIMIT) throw GIVE_UP;
  const outer = r.enter();
  while (r.pos < r.end) {
    const tag = r.tag();
    const no = tag >>> 3;
    const wt = tag & 7;
    const f = fieldOf(desc, no);
    if (f) checkField(r, f, wt, depth);
    else r.skip(wt);
  }
  r.leave(outer);
}

/** Reads past a declared field the row does not use, checking it as protobuf-es would read it. */
function checkField(r: Reader, f: DescField, wt: number, depth: number): void {
  switch (f.fieldKind) {
    case "scalar":
      checkScalar(r, f.scalar, wt);
      return;
    case "enum":
      if (wt !== VARINT) throw GIVE_UP;
      r.skip(wt);
      return;
    case "message":
      if (wt !== LEN || f.delimitedEncoding) throw GIVE_UP;
      checkMessage(r, f.message, depth + 1);
      return;
    case "list":
      if (f.listKind === "message") {
        if (wt !== LEN || f.delimitedEncoding) throw GIVE_UP;
        checkMessage(r, f.message, depth + 1);
        return;
      }
      {
        const t = f.listKind === "enum" ? ScalarType.INT32 : f.scalar;
        const elementWt = scalarWireType(t);
        if (wt === LEN && elementWt !== LEN) {
          const outer = r.enter(); // packed
          while (r.pos < r.end) r.skip(elementWt);
          r.leave(outer);
          return;
        }
        checkScalar(r, t, wt);
        return;
      }
    default:
      throw GIVE_UP; // maps: none in flow.Flow
  }
}

/** Reads a field the row does not use, or an unknown one. */
export function other(r: Reader, desc: DescMessage, no: number, wt: number, depth: number): void {
  const f = fieldOf(desc, no);
  if (f) checkField(r, f, wt, depth);
  else r.skip(wt);
}

export function expect(wt: number, want: number): void {
  if (wt !== want) throw GIVE_UP;
}
