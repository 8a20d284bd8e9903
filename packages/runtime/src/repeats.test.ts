// Repeated log lines collapse into one per window, with the count of the ones left out.
import { expect, it } from "vitest";
import { collapseRepeats } from "./repeats.js";

it("writes a repeated line once per window and then says how many were left out", () => {
  const out: string[] = [];
  let t = 0;
  const log = collapseRepeats(
    (m) => out.push(m),
    1000,
    () => t,
  );
  log("connect ECONNREFUSED");
  log("connect ECONNREFUSED");
  log("connect ECONNREFUSED");
  log("other");
  t = 1500;
  log("connect ECONNREFUSED");
  expect(out).toEqual(["connect ECONNREFUSED", "other", "connect ECONNREFUSED (repeated 2 more times)"]);
});
