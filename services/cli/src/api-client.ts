// HTTP calls to flowlens-api: the bearer token, and every failure as one line with its exit code.

import type { ApiTarget } from "./api-options.js";
import { RuntimeError, UsageError } from "./errors.js";

/** How long to wait for the API's answer headers. */
export const API_TIMEOUT_MS = 60_000;

function errorDetail(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: string; detail?: string };
    if (j.detail) return j.detail;
    if (j.error) return j.error;
  } catch {
    // not the API's JSON error: show the start of the body
  }
  return body.split("\n")[0]?.slice(0, 200) || "(no body)";
}

export interface ApiRequestInit extends RequestInit {
  signal?: AbortSignal;
  /**
   * What a 400/422 is: "usage" (exit 2) when the command line made the request (observe's flags), "runtime"
   * (exit 1) when it carried the user's data (a SQL statement the API refuses, as psql exits 1).
   */
  rejected?: "usage" | "runtime";
}

/** Sends one request; resolves to a 2xx response, else throws a one-line error naming the API. */
/** No answer from the API at all (refused, no route): observe may fall back to the live ring. */
export class ApiUnreachableError extends RuntimeError {}

export async function apiRequest(target: ApiTarget, path: string, init: ApiRequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (target.token) headers.set("authorization", `Bearer ${target.token}`);
  const timeout = AbortSignal.timeout(API_TIMEOUT_MS);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, { ...init, headers, signal });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    if (timeout.aborted) throw new RuntimeError(`flowlens-api at ${target.url} did not answer within ${API_TIMEOUT_MS / 1000}s`);
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new ApiUnreachableError(`cannot reach flowlens-api at ${target.url}: ${why} — is it running? use --api or $FLOWLENS_API`, {
      cause: err,
    });
  }
  if (res.ok) return res;
  const detail = errorDetail(await res.text());
  switch (res.status) {
    case 400:
    case 422: {
      const message = `flowlens-api rejected the request: ${detail}`;
      throw init.rejected === "runtime" ? new RuntimeError(message) : new UsageError(message);
    }
    case 401:
      throw new RuntimeError(`flowlens-api at ${target.url} needs a token: use --token-file or $FLOWLENS_API_TOKEN`);
    case 403:
      throw new RuntimeError(`flowlens-api at ${target.url} refused the token: ${detail}`);
    default:
      throw new RuntimeError(`flowlens-api at ${target.url} answered ${res.status}: ${detail}`);
  }
}
