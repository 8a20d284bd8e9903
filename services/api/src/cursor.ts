// The keyset cursor of /flows: the last row's (time in seconds, time_ns, uuid), as an opaque base64url token.
import { ApiError } from "./errors.js";

export interface Cursor {
  /** unix seconds of the row's `time` column */
  time: number;
  time_ns: number;
  uuid: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.time, c.time_ns, c.uuid])).toString("base64url");
}

/** Throws a 400 for anything this API did not hand out. */
export function decodeCursor(token: string): Cursor {
  const bad = () => new ApiError("bad_request", "cursor: not a cursor this API returned in `next`");
  if (token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 3) throw bad();
  const [time, ns, uuid] = v;
  if (
    !Number.isSafeInteger(time) ||
    time < 0 ||
    !Number.isInteger(ns) ||
    ns < 0 ||
    ns > 999_999_999 ||
    typeof uuid !== "string" ||
    uuid.length > 128
  )
    throw bad();
  return { time, time_ns: ns, uuid };
}
