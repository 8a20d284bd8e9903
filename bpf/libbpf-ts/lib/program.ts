// BpfProgram: attaches one loaded program (tc, tracepoint, cgroup) or runs it with BPF_PROG_TEST_RUN.
import { call } from "./errors.js";
import { Link, type LinkInfo } from "./link.js";
import type { LinkHandle, NativeBinding, ObjectHandle } from "./native.js";
import { requireBytes, requireOneOf, requireString, requireUint } from "./validate.js";

/** What a program needs from the object that owns it. */
export interface ProgramOwner {
  readonly binding: NativeBinding;
  /** The native handle of a loaded, open object; throws naming `where` otherwise. */
  loadedHandle(where: string): ObjectHandle;
  adopt(link: Link): void;
  release(link: Link): void;
}

export interface TcOptions {
  /** tc filter priority (1..65535); default 1. */
  priority?: number;
  /** tc filter handle; default 1. The same handle + priority replaces a stale filter of an earlier run. */
  handle?: number;
  /** Interface name, only used in messages. */
  ifname?: string;
  /**
   * Keep the filter when the link closes or the process ends (enforcement that must outlive a
   * restart); Link.detach() or Link.detachTc() removes it. The next attach with the same handle and
   * priority replaces it in place.
   */
  keep?: boolean;
}

export class BpfProgram {
  readonly name: string;
  readonly type: string;
  readonly section: string;
  readonly #owner: ProgramOwner;

  /** @internal created by BpfObject.program() */
  constructor(owner: ProgramOwner, info: { name: string; type: string; section: string }) {
    this.#owner = owner;
    this.name = info.name;
    this.type = info.type;
    this.section = info.section;
  }

  /**
   * Attaches as a direct-action tc filter on a clsact qdisc (created if missing, kept if it existed).
   * Closing the link removes the filter, and the clsact too when this process created it — unless
   * opts.keep: then both stay.
   */
  attachTc(ifindex: number, direction: "ingress" | "egress", opts: TcOptions = {}): Link {
    const where = `BpfProgram(${this.name}).attachTc`;
    requireUint(where, "ifindex", ifindex, 0x7fff_ffff, 1);
    requireOneOf(where, "direction", direction, ["ingress", "egress"] as const);
    const priority = requireUint(where, "opts.priority", opts.priority ?? 1, 0xffff, 1);
    const handle = requireUint(where, "opts.handle", opts.handle ?? 1, 0xffff_ffff, 1);
    if (opts.ifname !== undefined) requireString(where, "opts.ifname", opts.ifname);
    if (opts.keep !== undefined && typeof opts.keep !== "boolean") throw new TypeError(`${where}: opts.keep must be a boolean`);
    const keep = opts.keep ?? false;
    const target = `ifindex ${ifindex}${opts.ifname ? ` (${opts.ifname})` : ""}`;
    const obj = this.#owner.loadedHandle(where);
    return this.#link(
      `attach tc ${direction} to ${target}`,
      `tc ${direction} on ${target}`,
      () => this.#owner.binding.programAttachTc(obj, this.name, ifindex, direction === "ingress", priority, handle, keep),
      {
        ENODEV: `no interface has ifindex ${ifindex} in this network namespace`,
        EINVAL: `program ${this.name} is ${this.type}; tc needs a SEC("tc") / sched_cls program`,
      },
      { kind: "tc", kept: keep },
    );
  }

  attachTracepoint(category: string, name: string): Link {
    const where = `BpfProgram(${this.name}).attachTracepoint`;
    requireString(where, "category", category);
    requireString(where, "name", name);
    const obj = this.#owner.loadedHandle(where);
    return this.#link(
      `attach tracepoint ${category}/${name}`,
      `tracepoint ${category}/${name}`,
      () => this.#owner.binding.programAttachTracepoint(obj, this.name, category, name),
      {
        ENOENT: `no tracepoint ${category}/${name} (see /sys/kernel/tracing/events; mount tracefs if it is empty: mount -t tracefs tracefs /sys/kernel/tracing)`,
      },
    );
  }

  /** Attaches to a cgroup v2 directory; the attach type comes from the program's section. */
  attachCgroup(cgroupPath: string): Link {
    const where = `BpfProgram(${this.name}).attachCgroup`;
    requireString(where, "cgroupPath", cgroupPath);
    const obj = this.#owner.loadedHandle(where);
    return this.#link(
      `attach cgroup ${this.section} to ${cgroupPath}`,
      `cgroup ${this.section} on ${cgroupPath}`,
      () => this.#owner.binding.programAttachCgroup(obj, this.name, cgroupPath),
      {
        ENOENT: "no such cgroup directory (cgroup v2 is usually mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified)",
        ENOTDIR: "the path is not a cgroup directory",
      },
    );
  }

  /** Attaches an sk_lookup program to a network namespace (a file such as /var/run/netns/NAME). */
  attachNetns(netnsPath: string): Link {
    const where = `BpfProgram(${this.name}).attachNetns`;
    requireString(where, "netnsPath", netnsPath);
    const obj = this.#owner.loadedHandle(where);
    return this.#link(
      `attach ${this.section} to netns ${netnsPath}`,
      `${this.section} on netns ${netnsPath}`,
      () => this.#owner.binding.programAttachNetns(obj, this.name, netnsPath),
      {
        ENOENT: "no such netns file (ip netns add NAME creates /var/run/netns/NAME)",
        EINVAL: `program ${this.name} is ${this.type}, or the path is not a network namespace; netns links need SEC("sk_lookup")`,
      },
    );
  }

  /** Runs the program once per repeat on `data` (BPF_PROG_TEST_RUN); durationNs is the mean per run. */
  testRun(opts: { data: Uint8Array; repeat?: number }): { retval: number; durationNs: number } {
    const where = `BpfProgram(${this.name}).testRun`;
    if (typeof opts !== "object" || opts === null) throw new TypeError(`${where}: opts must be { data, repeat? }`);
    const data = requireBytes(where, "opts.data", opts.data);
    const repeat = requireUint(where, "opts.repeat", opts.repeat ?? 1, 0xffff_ffff, 1);
    const obj = this.#owner.loadedHandle(where);
    return call(`test run ${this.name}`, () => this.#owner.binding.programTestRun(obj, this.name, data, repeat), {
      EINVAL: `the input does not suit a ${this.type} program (tc programs need at least a 14-byte Ethernet header)`,
      ENOTSUPP: `this kernel cannot test-run ${this.type} programs`,
    });
  }

  /** @internal for Link.update(): the binding and object handle that own this program */
  nativeTarget(where: string): { binding: NativeBinding; obj: ObjectHandle } {
    return { binding: this.#owner.binding, obj: this.#owner.loadedHandle(where) };
  }

  #link(op: string, description: string, attach: () => LinkHandle, hints: Record<string, string>, info: LinkInfo = { kind: "bpf" }): Link {
    const handle = call(op, attach, hints);
    const link = new Link(this.#owner.binding, handle, description, (l) => this.#owner.release(l), info);
    this.#owner.adopt(link);
    return link;
  }
}
