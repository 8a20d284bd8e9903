// The one compiler of regular expressions that users hand us (policy HTTP rules, GetFlows filters).
// RE2 semantics (Cilium's Envoy and Hubble's Go use RE2) on re2js, a pure-JS RE2 port whose matching
// is linear in the input, so no pattern can make a match backtrack for ever. Patterns are bounded
// in length and in compiled program size, so one match costs at most O(input × MAX_PROGRAM_SIZE).
import { RE2JS, RE2JSException } from "re2js";

/** Longest pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 1024;
/** Largest compiled program accepted (re2js's instruction count, the measure RE2 limits too). */
export const MAX_PROGRAM_SIZE = 2000;

/** How a pattern matches: the whole input (policy rules, as Cilium anchors them) or anywhere in it (filters, as Hubble). */
export type RegexMode = "full" | "search";

export interface Regex {
  readonly source: string;
  readonly mode: RegexMode;
  test(input: string): boolean;
}

/** A pattern we refuse; the message is one line that names the pattern and why. */
export class RegexError extends Error {
  override name = "RegexError";
}

const cache = new Map<string, Regex>();
const CACHE_LIMIT = 10_000;

/** Quotes a pattern for a one-line message, shortened when long. */
function quoted(pattern: string): string {
  const s = JSON.stringify(pattern);
  return s.length > 80 ? `${s.slice(0, 60)}…" (${pattern.length} characters)` : s;
}

/** Compiles a user-supplied pattern or throws RegexError. Compiled patterns are cached. */
export function compileRegex(pattern: string, mode: RegexMode): Regex {
  const key = `${mode}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (pattern.length > MAX_PATTERN_LENGTH) throw new RegexError(`${quoted(pattern)} is longer than ${MAX_PATTERN_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e;
    throw new RegexError(`${quoted(pattern)} is not a valid RE2 regular expression: ${e.message.replace(/^error parsing regexp: /, "")}`, {
      cause: e,
    });
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_SIZE)
    throw new RegexError(`${quoted(pattern)} is too large: its compiled program has ${size} instructions, at most ${MAX_PROGRAM_SIZE}`);
  const compiled: Regex =
    mode === "full"
      ? { source: pattern, mode, test: (input) => re.testExact(input) }
      : { source: pattern, mode, test: (input) => re.test(input) };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

/** The message of a refused pattern, or undefined when it compiles (for validators that collect errors). */
export function regexProblem(pattern: string, mode: RegexMode): string | undefined {
  try {
    compileRegex(pattern, mode);
    return undefined;
  } catch (e) {
    if (e instanceof RegexError) return e.message;
    throw e;
  }
}
