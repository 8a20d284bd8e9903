// The request target an HTTP rule sees, normalized as Envoy does under Cilium (normalize_path,
// merge_slashes, unreserved %-escapes decoded), stricter where a server could read the path another
// way: those requests are refused (400). The proxy forwards `target`, so the server gets exactly
// the path that was checked. Public facts used: RFC 3986 §2.3 (unreserved), §6.2.2 (case and
// %-encoding normalization), §5.2.4 (remove_dot_segments); RFC 9112 §3.2 (request-target forms).

export type RequestTarget =
  /** `path`: normalized, what rules match; `target`: path plus the query string as sent, what is forwarded. */
  | { ok: true; path: string; target: string }
  /** Refused with 400: `reason` is one line for the client, the event and the log. */
  | { ok: false; reason: string };

const HEX = /^[0-9A-Fa-f]{2}$/;

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (decoding these never changes meaning). */
function unreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
  );
}

/** Control bytes, space, DEL and anything past ASCII: never valid raw in a request target. */
function forbiddenRaw(c: number): boolean {
  return c <= 0x20 || c >= 0x7f;
}

const refuse = (reason: string): RequestTarget => ({ ok: false, reason });

/** The path with %-escapes of unreserved bytes decoded and the rest upper-cased, or why it is ambiguous. */
function decodePath(raw: string): { path: string } | { reason: string } {
  let out = "";
  let from = 0; // raw[from..i) is copied as it is, in one slice
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return { reason: `malformed %-escape "${raw.slice(i, i + 3)}" in the path` };
      const b = Number.parseInt(hex, 16);
      // A server that decodes %2F or %5C sees a different path than one that does not: refuse, as Envoy can.
      if (b === 0x2f) return { reason: "encoded slash (%2F) in the path" };
      if (b === 0x5c) return { reason: "encoded backslash (%5C) in the path" };
      if (b < 0x20 || b === 0x7f) return { reason: `encoded control byte (%${hex.toUpperCase()}) in the path` };
      out += raw.slice(from, i) + (unreserved(b) ? String.fromCharCode(b) : `%${hex.toUpperCase()}`);
      i += 2;
      from = i + 1;
    } else if (c === 0x5c) {
      return { reason: "backslash in the path" };
    } else if (c === 0x23) {
      return { reason: "fragment (#) in the request target" };
    } else if (forbiddenRaw(c)) {
      return { reason: "control byte, space or non-ASCII byte in the path" };
    }
  }
  return { path: from === 0 ? raw : out + raw.slice(from) };
}

/** RFC 3986 remove_dot_segments for an absolute path without empty segments. */
function removeDotSegments(path: string): string {
  const segments = path.split("/").slice(1);
  const out: string[] = [];
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === "." || s === "..") {
      if (s === "..") out.pop();
      if (last) out.push(""); // "/a/b/.." is "/a/", a directory
    } else {
      out.push(s);
    }
  });
  return `/${out.join("/")}`;
}

/** Normalizes the request target of an HTTP/1.x request line, or says why it is refused. */
export function normalizeRequestTarget(raw: string): RequestTarget {
  if (!raw.startsWith("/")) {
    if (raw === "*") return refuse("asterisk-form (*) request targets are not accepted");
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(raw)) return refuse("absolute-form request targets are not accepted; send origin-form (/path)");
    return refuse("the request target must start with /");
  }
  const q = raw.indexOf("?");
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? undefined : raw.slice(q + 1);
  if (query !== undefined) {
    for (let i = 0; i < query.length; i++) {
      const c = query.charCodeAt(i);
      if (c === 0x23) return refuse("fragment (#) in the request target");
      if (forbiddenRaw(c)) return refuse("control byte, space or non-ASCII byte in the query");
    }
  }
  const decoded = decodePath(rawPath);
  if ("reason" in decoded) return refuse(decoded.reason);
  // Merged before dot segments are removed, so "/a//../b" is "/b" as a slash-merging server reads it.
  const merged = decoded.path.includes("//") ? decoded.path.replace(/\/{2,}/g, "/") : decoded.path;
  if (!merged.includes("/.")) return { ok: true, path: merged, target: query === undefined ? merged : `${merged}?${query}` };
  // "..;x" is ".." to servlet containers (path parameters): refuse rather than guess.
  if (/\/\.{1,2};/.test(merged)) return refuse("path parameter on a dot segment (/..;) in the path");
  const path = removeDotSegments(merged);
  return { ok: true, path, target: query === undefined ? path : `${path}?${query}` };
}
