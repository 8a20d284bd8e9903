// Unit tests of BpfObject, BpfProgram and Link with a fake binding: argument checks, state rules, close order.
import { afterEach, describe, expect, it } from "vitest";
import { fakeBinding } from "../test/fake-binding.js";
import { LibbpfError } from "./errors.js";
import { closeAll, openCount } from "./lifecycle.js";
import { BpfObject } from "./object.js";

const path = new URL(import.meta.url).pathname; // any existing file will do for the fake
const open = (binding = fakeBinding()) => ({ binding, obj: BpfObject.open(path, { binding, kernelBtfPath: path }) });

afterEach(() => closeAll());

describe("BpfObject.open", () => {
  it("explains a missing file without calling the binding", () => {
    const binding = fakeBinding();
    const err = catchError(() => BpfObject.open("/nonexistent/x.bpf.o", { binding }));
    expect(err).toBeInstanceOf(LibbpfError);
    expect((err as LibbpfError).message).toBe("open BPF object /nonexistent/x.bpf.o: ENOENT — build the BPF objects first (make -C bpf)");
    expect(binding.calls).toEqual([]);
  });

  it("explains a kernel without BTF", () => {
    expect(() => BpfObject.open(path, { binding: fakeBinding(), kernelBtfPath: "/nonexistent/vmlinux" })).toThrow(
      /ENOTSUP — this kernel exposes no BTF at \/nonexistent\/vmlinux; run a kernel built with CONFIG_DEBUG_INFO_BTF=y/,
    );
  });

  it("rejects a non-string path", () => {
    expect(() => BpfObject.open(42 as unknown as string)).toThrow("BpfObject.open: path must be a non-empty string, got 42");
  });

  it("maps a native EPERM to the privilege hint", () => {
    const binding = fakeBinding();
    binding.failNext("objectOpen", 1, "open x: Operation not permitted");
    const err = catchError(() => BpfObject.open(path, { binding, kernelBtfPath: path })) as LibbpfError;
    expect(err.code).toBe("EPERM");
    expect(err.errno).toBe(1);
    expect(err.message).toMatch(/: EPERM — run as root or grant CAP_BPF and CAP_NET_ADMIN$/);
  });
});

describe("configuration before load", () => {
  it("validates setRodata arguments", () => {
    const { obj } = open();
    expect(() => obj.setRodata("", new Uint8Array(4))).toThrow(/varName must be a non-empty string/);
    expect(() => obj.setRodata("x", [1, 2] as unknown as Uint8Array)).toThrow(/value must be a Uint8Array or Buffer, got Array/);
  });

  it("refuses configuration after load", () => {
    const { obj } = open();
    obj.load();
    expect(() => obj.setRodata("x", new Uint8Array(4))).toThrow(/setRodata: the object is already loaded; call it before load\(\)/);
    expect(() => obj.setMapMaxEntries("counts", 8)).toThrow(/already loaded/);
    expect(() => obj.load()).toThrow(/already loaded/);
  });

  it("checks map names and sizes for setMapMaxEntries and reusePinnedMap", () => {
    const { obj } = open();
    expect(() => obj.setMapMaxEntries("counts", 0)).toThrow(/n must be between 1 and 4294967295, got 0/);
    expect(() => obj.setMapMaxEntries("nope", 8)).toThrow(/find map nope .*ENOENT — available maps: counts, per_cpu, events/);
    expect(obj.reusePinnedMap("counts", "/sys/fs/bpf/x/counts")).toBe(true);
  });

  it("refuses a pinned map whose definition differs, naming the differences", () => {
    const { binding, obj } = open();
    expect(() => obj.reusePinnedMap("counts", "/sys/fs/bpf/x/other")).toThrow(
      "reuse pinned map /sys/fs/bpf/x/other for counts: EINVAL — the pinned map is incompatible: valueSize 4 pinned, 8 wanted, maxEntries 8 pinned, 16 wanted",
    );
    expect(binding.calls).not.toContain("objectReusePinnedMap");
    expect(binding.calls.filter((c) => c === "mapClose")).toHaveLength(1); // the probe's fd
  });

  it("says false when nothing is pinned", () => {
    const { binding, obj } = open();
    binding.failNext("mapOpenPinned", 2);
    expect(obj.reusePinnedMap("counts", "/sys/fs/bpf/x/counts")).toBe(false);
  });

  it("appends the verifier log to load errors", () => {
    const { binding, obj } = open();
    binding.failNext("objectLoad", 13, "load: Permission denied", "0: (61) r0 = *(u32 *)(r1 +0)\ninvalid access to packet\n");
    const err = catchError(() => obj.load()) as LibbpfError;
    expect(err.code).toBe("EACCES");
    expect(err.message).toBe(
      `load ${path}: EACCES — the verifier rejected a program; its log follows\n0: (61) r0 = *(u32 *)(r1 +0)\ninvalid access to packet`,
    );
    expect(obj.loaded).toBe(false);
  });
});

describe("programs and links", () => {
  it("names the unknown program and lists the available ones", () => {
    const { obj } = open();
    expect(() => obj.program("nope")).toThrow(/find program nope in .*: ENOENT — available programs: on_tc, on_tp/);
  });

  it("requires load before attaching", () => {
    const { obj } = open();
    expect(() => obj.program("on_tc").attachTc(3, "ingress")).toThrow(/attachTc: load\(\) the object first/);
  });

  it("validates attachTc arguments", () => {
    const { obj } = open();
    obj.load();
    const prog = obj.program("on_tc");
    expect(() => prog.attachTc(0, "ingress")).toThrow(/ifindex must be between 1 and 2147483647, got 0/);
    expect(() => prog.attachTc(1.5, "ingress")).toThrow(/ifindex must be an integer, got 1.5/);
    expect(() => prog.attachTc(3, "sideways" as "ingress")).toThrow(/direction must be one of 'ingress', 'egress', got "sideways"/);
    expect(() => prog.attachTc(3, "egress", { priority: 70000 })).toThrow(/opts.priority must be between 1 and 65535/);
  });

  it("names the interface in attach errors", () => {
    const { binding, obj } = open();
    obj.load();
    binding.failNext("programAttachTc", 1);
    expect(() => obj.program("on_tc").attachTc(12, "ingress", { ifname: "veth-web" })).toThrow(
      "attach tc ingress to ifindex 12 (veth-web): EPERM — run as root or grant CAP_BPF and CAP_NET_ADMIN",
    );
  });

  it("closes links before the object, once each", () => {
    const { binding, obj } = open();
    obj.load();
    const tc = obj.program("on_tc").attachTc(3, "ingress");
    const tp = obj.program("on_tp").attachTracepoint("sched", "sched_switch");
    tp.close();
    obj.close();
    obj.close();
    tc.close();
    expect(binding.calls.filter((c) => c !== "objectOpen" && c !== "objectLoad")).toEqual([
      "programAttachTc",
      "programAttachTracepoint",
      "linkClose",
      "linkClose",
      "objectClose",
    ]);
    expect(() => obj.program("on_tc")).toThrow(/program: the object is closed/);
  });

  it("keeps a tc filter on close when asked, and detach() removes it", () => {
    const { binding, obj } = open();
    obj.load();
    const kept = obj.program("on_tc").attachTc(3, "ingress", { keep: true });
    expect(kept.kept).toBe(true);
    expect(() => obj.program("on_tc").attachTc(3, "ingress", { keep: 1 as unknown as boolean })).toThrow(/opts.keep must be a boolean/);
    expect(() => kept.pin("/sys/fs/bpf/x")).toThrow(/tc filters are not bpf_links; attach with keep to make them last/);
    kept.detach();
    kept.detach();
    expect(binding.calls.filter((c) => c.startsWith("link"))).toEqual(["linkDetach"]);
  });

  it("pins, unpins, updates and detaches bpf links", () => {
    const { binding, obj } = open();
    obj.load();
    const link = obj.program("on_tp").attachTracepoint("sched", "sched_switch");
    expect(link.pinPath).toBeUndefined();
    expect(() => link.unpin()).toThrow(/unpin: the link is not pinned/);
    link.pin("/sys/fs/bpf/x/l");
    expect(link.pinPath).toBe("/sys/fs/bpf/x/l");
    link.update(obj.program("on_tp"));
    link.detach(); // unpins first
    expect(link.closed).toBe(true);
    expect(() => link.update(obj.program("on_tp"))).toThrow(/update: the link is closed/);
    expect(binding.calls.filter((c) => c.startsWith("link"))).toEqual(["linkPin", "linkUpdate", "linkUnpin", "linkDetach"]);
  });

  it("opens pinned links and detaches tc filters by place", async () => {
    const { Link } = await import("./link.js");
    const binding = fakeBinding();
    const link = Link.openPinned("/sys/fs/bpf/x/l", { binding });
    expect(link.pinPath).toBe("/sys/fs/bpf/x/l");
    link.close();
    expect(Link.detachTc(5, "egress", { binding })).toBe(true);
    expect(() => Link.detachTc(0, "egress", { binding })).toThrow(/ifindex must be between 1/);
    binding.failNext("linkOpenPinned", 2);
    expect(() => Link.openPinned("/sys/fs/bpf/none", { binding })).toThrow(
      "open pinned link /sys/fs/bpf/none: ENOENT — nothing is pinned there",
    );
    expect(binding.calls).toEqual(["linkOpenPinned", "linkClose", "tcDetach", "linkOpenPinned"]);
  });

  it("closeAll closes what is still open", () => {
    const { binding, obj } = open();
    obj.load();
    obj.program("on_tc").attachTc(3, "egress");
    expect(openCount()).toBe(2);
    closeAll();
    expect(openCount()).toBe(0);
    expect(binding.calls.slice(-2)).toEqual(["linkClose", "objectClose"]);
  });

  it("validates testRun options", () => {
    const { obj } = open();
    obj.load();
    const prog = obj.program("on_tc");
    expect(() => prog.testRun({ data: "x" as unknown as Uint8Array })).toThrow(/opts.data must be a Uint8Array/);
    expect(() => prog.testRun({ data: new Uint8Array(14), repeat: 0 })).toThrow(/opts.repeat must be between 1/);
    expect(prog.testRun({ data: new Uint8Array(14) })).toEqual({ retval: 0, durationNs: 5 });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
