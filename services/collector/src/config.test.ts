import { normalizeListenAddress, parseDurationMs } from "@flowlens/runtime";
import { describe, expect, it } from "vitest";
import { parseCollectorArgs, parseUninstallArgs } from "./config.js";

describe("collector flags", () => {
  it("has Hubble's defaults", () => {
    const c = parseCollectorArgs([]);
    expect(c.listenAddress).toBe("127.0.0.1:4244");
    expect(c.bufferSize).toBe(4095);
    expect(c.interfaces).toEqual([]);
  });
  it("takes repeatable interfaces and durations", () => {
    const c = parseCollectorArgs(["--interface", "eth0", "--interface", "eth1", "--report-interval", "2s", "--flow-idle-timeout", "1m"]);
    expect(c.interfaces).toEqual(["eth0", "eth1"]);
    expect(c.reportIntervalMs).toBe(2000);
    expect(c.flowIdleTimeoutMs).toBe(60000);
  });
  it("accepts unix sockets and :port", () => {
    expect(normalizeListenAddress("/run/flowlens.sock")).toBe("unix:/run/flowlens.sock");
    expect(normalizeListenAddress(":4244")).toBe("0.0.0.0:4244");
  });
  it.each([
    [["--buffer-size", "abc"], /--buffer-size must be a positive integer/],
    [["--listen-address", "nowhere"], /must be host:port or unix:\/path/],
    [["--ring-buffer-bytes", "5000"], /power of 2/],
    [["--report-interval", "soon"], /not a duration/],
  ])("rejects %j", (argv, msg) => {
    expect(() => parseCollectorArgs(argv as string[])).toThrow(msg);
  });
  it("takes mTLS files as a triple", () => {
    expect(parseCollectorArgs([]).tls).toBeUndefined();
    expect(parseCollectorArgs(["--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-ca", "ca.pem"]).tls).toEqual({
      cert: "c.pem",
      key: "k.pem",
      ca: "ca.pem",
    });
    expect(() => parseCollectorArgs(["--tls-cert", "c.pem", "--tls-key", "k.pem"])).toThrow(/all three or none/);
  });
  it("serves changes on a root-only admin socket by default; mTLS names need mTLS", () => {
    const c = parseCollectorArgs([]);
    expect(c.adminSocket).toBe("/run/flowlens/admin.sock");
    expect(c.adminClientNames).toEqual([]);
    expect(parseCollectorArgs(["--admin-socket", ""]).adminSocket).toBe("");
    expect(() => parseCollectorArgs(["--admin-socket", "admin.sock"])).toThrow(/absolute socket path/);
    const tls = ["--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-ca", "ca.pem"];
    expect(parseCollectorArgs([...tls, "--admin-client-names", "a, b", "--admin-client-names", "c"]).adminClientNames).toEqual([
      "a",
      "b",
      "c",
    ]);
    expect(() => parseCollectorArgs(["--admin-client-names", "a"])).toThrow(/needs mTLS/);
    expect(() => parseCollectorArgs([...tls, "--admin-client-names", "a,,b"])).toThrow(/separated by commas/);
  });
  it("parses durations", () => {
    expect(parseDurationMs("250ms")).toBe(250);
    expect(parseDurationMs("1.5s")).toBe(1500);
    expect(parseDurationMs("100")).toBe(100);
  });
});

describe("pin path and state dir", () => {
  it("default to /sys/fs/bpf/flowlens and /var/lib/flowlens, for the daemon and uninstall", () => {
    expect(parseCollectorArgs([])).toMatchObject({ pinPath: "/sys/fs/bpf/flowlens", stateDir: "/var/lib/flowlens" });
    expect(parseUninstallArgs([])).toEqual({ pinPath: "/sys/fs/bpf/flowlens", stateDir: "/var/lib/flowlens" });
    expect(parseUninstallArgs(["--pin-path", "/sys/fs/bpf/t1/", "--state-dir", "/tmp/s"])).toEqual({
      pinPath: "/sys/fs/bpf/t1",
      stateDir: "/tmp/s",
    });
  });
  it("refuses a relative pin path, the bpffs root itself and relative state dirs", () => {
    const quiet = { writeErr: () => {} };
    for (const argv of [
      ["--pin-path", "flowlens"],
      ["--pin-path", "/sys/fs/bpf"],
      ["--pin-path", "/sys/fs/bpf/../x"],
      ["--state-dir", "state"],
    ]) {
      const stderr = process.stderr.write;
      process.stderr.write = quiet.writeErr as never;
      try {
        expect(() => parseCollectorArgs(argv)).toThrow(/must be an absolute/);
        expect(() => parseUninstallArgs(argv)).toThrow(/must be an absolute/);
      } finally {
        process.stderr.write = stderr;
      }
    }
  });
});
