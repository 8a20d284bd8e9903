// --retention: days per table for the aggregations' table choice, defaults as the ingester's.
import { describe, expect, it } from "vitest";
import { parseApiArgs, retentionArg } from "./config.js";

describe("--retention", () => {
  it("defaults to the ingester's retention and takes table=days overrides (0 keeps everything)", () => {
    expect(parseApiArgs(["--insecure-no-auth"]).retentionDays).toEqual({ flows: 7, flows_minute: 30, flows_5m: 90, flows_1h: 400 });
    expect(retentionArg("flows=3, flows_1h=0")).toEqual({ flows: 3, flows_minute: 30, flows_5m: 90, flows_1h: Number.POSITIVE_INFINITY });
  });
  it("refuses unknown tables and non-numbers in one line", () => {
    expect(() => retentionArg("flows_2h=3")).toThrow(
      /^--retention "flows_2h=3" is not table=days with a table of flows, flows_minute, flows_5m, flows_1h$/,
    );
    expect(() => retentionArg("flows=x")).toThrow(/is not table=days/);
  });
});
