import { describe, expect, it } from "vitest";
import { daemonCommand, logLevelOf, metricsAddressArg, normalizeListenAddress } from "./flags.js";

describe("daemon flags", () => {
  it("--log-level takes debug|info|warn|error, info by default", () => {
    const parse = (argv: string[]) => {
      const cmd = daemonCommand("d", "test").configureOutput({ writeErr: () => {} });
      cmd.parse(argv, { from: "user" });
      return logLevelOf(cmd);
    };
    expect(parse([])).toBe("info");
    expect(parse(["--log-level", "debug"])).toBe("debug");
    expect(() => parse(["--log-level", "loud"])).toThrow(/Allowed choices are debug, info, warn, error/);
  });

  it("normalizes listen addresses and checks metrics addresses", () => {
    expect(normalizeListenAddress(":4244")).toBe("0.0.0.0:4244");
    expect(normalizeListenAddress("/run/x.sock")).toBe("unix:/run/x.sock");
    expect(() => normalizeListenAddress("nowhere")).toThrow(/must be host:port or unix:\/path/);
    expect(metricsAddressArg("")).toBe("");
    expect(() => metricsAddressArg("9965")).toThrow(/--metrics-address "9965" must be host:port/);
  });
});
