// Unit tests of LibbpfError formatting and errno naming.
import { describe, expect, it } from "vitest";
import { call, errnoCode, LibbpfError, toLibbpfError } from "./errors.js";

describe("LibbpfError", () => {
  it('formats "<op>: <CODE> — <hint>"', () => {
    const err = new LibbpfError("attach tc ingress to ifindex 12 (veth-web)", 1, "run as root or grant CAP_BPF and CAP_NET_ADMIN");
    expect(err.message).toBe("attach tc ingress to ifindex 12 (veth-web): EPERM — run as root or grant CAP_BPF and CAP_NET_ADMIN");
    expect(err).toMatchObject({ errno: 1, code: "EPERM", op: "attach tc ingress to ifindex 12 (veth-web)", name: "LibbpfError" });
  });

  it("names errnos Node does not know", () => {
    expect(errnoCode(2)).toBe("ENOENT");
    expect(errnoCode(524)).toBe("ENOTSUPP");
    expect(errnoCode(9999)).toBe("E9999");
  });

  it("falls back to strerror text when there is no hint", () => {
    const err = toLibbpfError("lookup in map x", Object.assign(new Error("lookup: Argument list too long"), { errno: 7 }));
    expect((err as LibbpfError).message).toBe("lookup in map x: E2BIG — argument list too long");
  });

  it("passes through errors that carry no errno", () => {
    const type = new TypeError("bad");
    expect(() =>
      call("op", () => {
        throw type;
      }),
    ).toThrow(type);
  });
});
