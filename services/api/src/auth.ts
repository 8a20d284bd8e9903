// Bearer tokens: one per line in --tokens-file (blank lines and # comments ignored), compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** The tokens of a tokens file; throws one line when it has none. */
export function readTokensFile(path: string): string[] {
  const tokens = readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (tokens.length === 0) throw new Error(`--tokens-file ${path}: no tokens in it (one per line)`);
  return tokens;
}

export type TokenCheck = "ok" | "missing" | "wrong";

/** Checks an Authorization header against the tokens (hashes compared, so length leaks nothing). */
export function tokenChecker(tokens: readonly string[]): (authorization: string | undefined) => TokenCheck {
  const known = tokens.map(digest);
  return (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!m) return "missing";
    const d = digest(m[1]);
    let ok = false;
    for (const k of known) ok = timingSafeEqual(k, d) || ok;
    return ok ? "ok" : "wrong";
  };
}
