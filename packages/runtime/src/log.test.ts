import { describe, expect, it } from "vitest";
import { createLog } from "./log.js";

function capture(format: "json" | "text", level?: "debug" | "info" | "warn" | "error") {
  const lines: string[] = [];
  const log = createLog({ service: "flowlens-test", format, level, write: (s) => lines.push(s) });
  return { log, lines };
}

describe("createLog", () => {
  it("writes one JSON object a line with level, time, service and msg", () => {
    const { log, lines } = capture("json");
    log("serving 127.0.0.1:4244");
    log.warn("peer away", { peer: "a:1" });
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toMatchObject({ level: "info", service: "flowlens-test", msg: "serving 127.0.0.1:4244" });
    expect(new Date(a.time).toISOString()).toBe(a.time);
    expect(b).toMatchObject({ level: "warn", peer: "a:1", msg: "peer away" });
    expect(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
  });

  it("drops lines below the level", () => {
    const { log, lines } = capture("json", "warn");
    log.debug("d");
    log("i");
    log.error("e");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["e"]);
  });

  it("keeps context fields of a child on every line", () => {
    const { log, lines } = capture("json");
    log.child({ node: "n1" })("hello");
    expect(JSON.parse(lines[0])).toMatchObject({ node: "n1", msg: "hello", service: "flowlens-test" });
  });

  it("writes a human line in text format", () => {
    const { log, lines } = capture("text");
    log("serving");
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] INFO: serving\n$/);
  });

  it("tells a repeated problem once until it is cleared", () => {
    const { log, lines } = capture("json");
    log.once("k", "netns gone");
    log.once("k", "netns gone");
    log.clear("k");
    log.once("k", "netns gone");
    expect(lines).toHaveLength(2);
  });
});
