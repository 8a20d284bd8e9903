// Link: one attachment (tc filter, tracepoint, cgroup hook, netns). close() detaches it and is
// idempotent — except a kept tc filter and a pinned bpf_link, which stay in force after close()
// and process exit until detach() (or unpin() + close()).
import { call } from "./errors.js";
import { type Closeable, track, untrack } from "./lifecycle.js";
import { type LinkHandle, type NativeBinding, nativeBinding, type ObjectHandle } from "./native.js";
import { requireOneOf, requireString, requireUint } from "./validate.js";

/** What Link.update() needs of a loaded program (BpfProgram provides it). */
export interface UpdatableProgram {
  readonly name: string;
  /** @internal the binding and object handle that own the program */
  nativeTarget(where: string): { binding: NativeBinding; obj: ObjectHandle };
}

export interface LinkInfo {
  /** "tc" filters are netlink objects, not bpf_links: they cannot be pinned or updated. */
  kind: "tc" | "bpf";
  /** A tc filter that outlives close() and process exit. */
  kept?: boolean;
  /** Where the link is pinned (openPinned, pin()). */
  pinPath?: string;
}

const noop = () => {};

export class Link implements Closeable {
  readonly #binding: NativeBinding;
  readonly #handle: LinkHandle;
  readonly #onClose: (link: Link) => void;
  readonly #kind: "tc" | "bpf";
  readonly #kept: boolean;
  #pinPath: string | undefined;
  #closed = false;
  /** What this link attaches, e.g. "tc ingress on ifindex 12 (veth-web)". */
  readonly description: string;

  /** @internal created by BpfProgram and Link.openPinned */
  constructor(
    binding: NativeBinding,
    handle: LinkHandle,
    description: string,
    onClose: (link: Link) => void,
    info: LinkInfo = { kind: "bpf" },
  ) {
    this.#binding = binding;
    this.#handle = handle;
    this.description = description;
    this.#onClose = onClose;
    this.#kind = info.kind;
    this.#kept = info.kept ?? false;
    this.#pinPath = info.pinPath;
    track(this);
  }

  /**
   * Opens a bpf_link pinned in bpffs (by this or an earlier process). Closing it releases this
   * process's handle; the pin keeps the attachment in force.
   */
  static openPinned(path: string, opts: { binding?: NativeBinding } = {}): Link {
    requireString("Link.openPinned", "path", path);
    const binding = opts.binding ?? nativeBinding();
    const handle = call(`open pinned link ${path}`, () => binding.linkOpenPinned(path), {
      ENOENT: "nothing is pinned there",
      EINVAL: "what is pinned there is not a bpf_link (a map or a program?)",
    });
    return new Link(binding, handle, `pinned link ${path}`, noop, { kind: "bpf", pinPath: path });
  }

  /**
   * Removes the tc filter at (ifindex, direction, handle, priority) — e.g. one a previous process
   * attached with keep. false when no such filter (or interface) exists.
   */
  static detachTc(
    ifindex: number,
    direction: "ingress" | "egress",
    opts: { handle?: number; priority?: number; binding?: NativeBinding } = {},
  ): boolean {
    const where = "Link.detachTc";
    requireUint(where, "ifindex", ifindex, 0x7fff_ffff, 1);
    requireOneOf(where, "direction", direction, ["ingress", "egress"] as const);
    const priority = requireUint(where, "opts.priority", opts.priority ?? 1, 0xffff, 1);
    const handle = requireUint(where, "opts.handle", opts.handle ?? 1, 0xffff_ffff, 1);
    const binding = opts.binding ?? nativeBinding();
    return call(`detach tc ${direction} filter from ifindex ${ifindex}`, () =>
      binding.tcDetach(ifindex, direction === "ingress", handle, priority),
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True for a tc filter attached with keep: close() forgets it, detach() removes it. */
  get kept(): boolean {
    return this.#kept;
  }

  /** Where this link is pinned, if it is. */
  get pinPath(): string | undefined {
    return this.#pinPath;
  }

  /** Pins the bpf_link at path (a bpffs file): it stays attached after close() and process exit. */
  pin(path: string): void {
    const where = this.#check("pin");
    requireString(where, "path", path);
    this.#requireBpfLink("pin");
    call(`pin ${this.description} at ${path}`, () => this.#binding.linkPin(this.#handle, path), {
      EEXIST: "something is already pinned there; unpin or remove it first",
      ENOENT: "the directory does not exist (is bpffs mounted at /sys/fs/bpf?)",
      EPERM: "the path must be on a bpffs mount (mount -t bpf bpf /sys/fs/bpf), and pinning needs root or CAP_BPF",
    });
    this.#pinPath = path;
  }

  /** Removes the pin; the link then detaches when closed (or when this process ends). */
  unpin(): void {
    this.#check("unpin");
    this.#requireBpfLink("unpin");
    const path = this.#pinPath;
    if (path === undefined) throw new Error(`Link(${this.description}).unpin: the link is not pinned`);
    call(`unpin ${this.description} from ${path}`, () => this.#binding.linkUnpin(this.#handle));
    this.#pinPath = undefined;
  }

  /** Swaps the link's program for `program` in one step (no moment without a program attached). */
  update(program: UpdatableProgram): void {
    const where = this.#check("update");
    this.#requireBpfLink("update");
    const target = program.nativeTarget(where);
    if (target.binding !== this.#binding) throw new Error(`${where}: the program comes from another binding`);
    call(`update ${this.description} to program ${program.name}`, () => this.#binding.linkUpdate(this.#handle, target.obj, program.name), {
      EINVAL: `program ${program.name} is not of the link's program and attach type`,
    });
  }

  /** Removes the attachment now, whether kept or pinned (the pin is removed too), and closes. */
  detach(): void {
    if (this.#closed) return;
    if (this.#pinPath !== undefined) this.unpin();
    this.#closed = true;
    untrack(this);
    this.#onClose(this);
    call(`detach ${this.description}`, () => this.#binding.linkDetach(this.#handle));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    untrack(this);
    this.#onClose(this);
    this.#binding.linkClose(this.#handle);
  }

  #check(method: string): string {
    const where = `Link(${this.description}).${method}`;
    if (this.#closed) throw new Error(`${where}: the link is closed`);
    return where;
  }

  #requireBpfLink(method: string): void {
    if (this.#kind === "tc")
      throw new Error(`Link(${this.description}).${method}: tc filters are not bpf_links; attach with keep to make them last`);
  }
}
