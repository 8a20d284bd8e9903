// The API's one error shape: every failure answers {error, detail} JSON with a status, never a stack.

/** error codes, one per status the API returns */
export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "payload_too_large"
  | "range_too_large"
  | "clickhouse_unavailable"
  | "clickhouse_timeout"
  | "internal";

export const STATUS_OF: Record<ErrorCode, 400 | 401 | 403 | 404 | 413 | 422 | 500 | 502 | 504> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  range_too_large: 422,
  clickhouse_unavailable: 502,
  clickhouse_timeout: 504,
  internal: 500,
};

/** An error the API answers as it is. `position` is set for filter errors. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
  get status() {
    return STATUS_OF[this.code];
  }
  body(): Record<string, unknown> {
    return { error: this.code, detail: this.detail, ...this.extra };
  }
}

const TIMEOUT = /TIMEOUT_EXCEEDED|Timeout exceeded|timed? ?out|Code: 159\b/i;
const DOWN = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|socket hang up|other side closed|fetch failed/i;

/**
 * A ClickHouse failure as the API answers it: 504 timeout, 502 unreachable; an exception ClickHouse raised
 * on a user's own SQL is a 400 (their query), on the API's own SQL a 502.
 */
export function clickhouseError(err: unknown, userQuery = false): ApiError {
  const msg = err instanceof Error ? err.message : String(err);
  const first = msg.split("\n")[0].slice(0, 500);
  const code = (err as { code?: string } | undefined)?.code ?? "";
  if (TIMEOUT.test(msg)) return new ApiError("clickhouse_timeout", `ClickHouse did not answer in time: ${first}`);
  if (DOWN.test(msg) || DOWN.test(code)) return new ApiError("clickhouse_unavailable", `ClickHouse is unreachable: ${first}`);
  if (userQuery && /\bCode: \d+/.test(msg)) return new ApiError("bad_request", `sql: ClickHouse: ${first}`);
  return new ApiError("clickhouse_unavailable", `ClickHouse refused the query: ${first}`);
}
