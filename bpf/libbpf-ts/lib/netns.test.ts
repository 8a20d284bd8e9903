// Unit tests of the netns socket helpers and attachNetns with a fake binding: arguments, errors.
import { describe, expect, it } from "vitest";
import { fakeBinding, nativeError } from "../test/fake-binding.js";
import { netnsTcpListen, netnsTcpSocket } from "./netns.js";
import { BpfObject } from "./object.js";

describe("netns sockets", () => {
  it("passes the defaults to the binding and returns its fd", () => {
    const binding = fakeBinding();
    const calls: unknown[][] = [];
    binding.netnsTcpListen = (...args) => {
      calls.push(args);
      return 42;
    };
    expect(netnsTcpListen("/var/run/netns/a", { binding })).toBe(42);
    expect(calls).toEqual([["/var/run/netns/a", "127.0.0.1", 0, 511]]);
    expect(netnsTcpSocket("/var/run/netns/a", 6, { binding })).toBe(101);
  });

  it("refuses bad arguments before touching the kernel", () => {
    const binding = fakeBinding();
    expect(() => netnsTcpListen("", { binding })).toThrow("netnsTcpListen: netnsPath must be a non-empty string");
    expect(() => netnsTcpListen("/n", { binding, host: "localhost" })).toThrow('opts.host must be an IP address, got "localhost"');
    expect(() => netnsTcpListen("/n", { binding, port: 70000 })).toThrow("opts.port must be between 0 and 65535");
    expect(() => netnsTcpSocket("/n", 5 as 4, { binding })).toThrow("family must be 4 or 6");
    expect(binding.calls).toEqual([]);
  });

  it("says what a missing netns means", () => {
    const binding = fakeBinding();
    binding.netnsTcpListen = () => {
      throw nativeError(2, "enter netns in netns /var/run/netns/gone: No such file or directory");
    };
    expect(() => netnsTcpListen("/var/run/netns/gone", { binding })).toThrow(
      "listen on [127.0.0.1]:0 in netns /var/run/netns/gone: ENOENT — no such netns file (ip netns add NAME creates /var/run/netns/NAME)",
    );
  });
});

describe("BpfProgram.attachNetns", () => {
  it("attaches through the binding and names the netns in errors", () => {
    const path = new URL(import.meta.url).pathname;
    const binding = fakeBinding();
    const obj = BpfObject.open(path, { binding, kernelBtfPath: path });
    obj.load();
    const prog = obj.program(obj.programs()[0].name);
    const link = prog.attachNetns("/var/run/netns/a");
    expect(link.description).toContain("on netns /var/run/netns/a");
    binding.failNext("programAttachNetns", 2);
    expect(() => prog.attachNetns("/var/run/netns/gone")).toThrow(/to netns \/var\/run\/netns\/gone: ENOENT — no such netns file/);
    obj.close();
  });
});
