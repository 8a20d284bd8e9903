import { describe, expect, it } from "vitest";
import { causeChain, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, exitCodeOf, findCause, RuntimeError, UsageError } from "./index.js";

const commanderError = (code: string) => Object.assign(new Error("x"), { code, exitCode: 1 });

describe("exitCodeOf", () => {
  it("gives 0 for help and version, 2 for commander's other errors", () => {
    expect(exitCodeOf(commanderError("commander.helpDisplayed"))).toBe(EXIT_OK);
    expect(exitCodeOf(commanderError("commander.version"))).toBe(EXIT_OK);
    expect(exitCodeOf(commanderError("commander.help"))).toBe(EXIT_USAGE);
    expect(exitCodeOf(commanderError("commander.unknownOption"))).toBe(EXIT_USAGE);
  });

  it("gives 2 for a usage error, 1 for a runtime error, wherever it is in the cause chain", () => {
    expect(exitCodeOf(new UsageError("bad flag"))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new RuntimeError("no server"))).toBe(EXIT_RUNTIME);
    expect(exitCodeOf(new Error("read config", { cause: new UsageError("bad flag") }))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new RuntimeError("apply", { cause: new UsageError("inner") }))).toBe(EXIT_RUNTIME);
  });

  it("gives 1 for anything else, thrown values that are not errors included", () => {
    expect(exitCodeOf(new Error("boom"))).toBe(EXIT_RUNTIME);
    expect(exitCodeOf("a string")).toBe(EXIT_RUNTIME);
    expect(exitCodeOf(null)).toBe(EXIT_RUNTIME);
  });
});

describe("causeChain", () => {
  it("lists the error and its causes, outermost first, and stops on a loop", () => {
    const inner = new Error("ENOENT");
    const outer = new Error("read x", { cause: inner });
    expect(causeChain(outer)).toEqual([outer, inner]);
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(causeChain(b)).toEqual([b, a]);
  });

  it("finds a cause by kind", () => {
    const usage = new UsageError("bad");
    expect(findCause(new Error("wrap", { cause: usage }), UsageError)).toBe(usage);
    expect(findCause(new Error("plain"), UsageError)).toBeUndefined();
  });
});
