import { describe, expect, it } from "vitest";
import { clickhouseError } from "./errors.js";

describe("clickhouseError", () => {
  it("maps a timeout to 504, an unreachable server to 502", () => {
    expect(clickhouseError(new Error("Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 30.1 seconds")).status).toBe(
      504,
    );
    expect(clickhouseError(new Error("Timeout error.")).status).toBe(504);
    expect(clickhouseError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123"), { code: "ECONNREFUSED" })).body()).toEqual({
      error: "clickhouse_unavailable",
      detail: "ClickHouse is unreachable: connect ECONNREFUSED 127.0.0.1:8123",
    });
  });
  it("makes ClickHouse's exception on a user's SQL a 400, on the API's own SQL a 502, one line either way", () => {
    const e = new Error("Code: 47, e.displayText() = DB::Exception: Missing columns: 'x'\nstack line");
    expect(clickhouseError(e, true).body()).toEqual({
      error: "bad_request",
      detail: "sql: ClickHouse: Code: 47, e.displayText() = DB::Exception: Missing columns: 'x'",
    });
    expect(clickhouseError(e).status).toBe(502);
  });
});
