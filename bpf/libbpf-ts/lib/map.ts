// BpfMap: typed access to one BPF map by fd — CRUD, iteration, batch lookup, pinning.
import { unlinkSync } from "node:fs";
import { call, errnoOf, LibbpfError } from "./errors.js";
import { type Closeable, track, untrack } from "./lifecycle.js";
import { type NativeBinding, type NativeMapInfo, nativeBinding } from "./native.js";
import { requireBytes, requireOneOf, requireString, requireUint } from "./validate.js";

const UPDATE_FLAGS = { any: 0, noexist: 1, exist: 2 } as const;
export type UpdateFlag = keyof typeof UPDATE_FLAGS;

/** Something that must close before a map's fd goes away (a ring buffer reader). */
export interface DependentOwner {
  adopt(dependent: Closeable): void;
  release(dependent: Closeable): void;
}

export interface MapOptions {
  binding?: NativeBinding;
}

export class BpfMap implements Closeable {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly #binding: NativeBinding;
  readonly #fd: number;
  readonly #ownsFd: boolean;
  readonly #usable: () => boolean;
  readonly #owner: DependentOwner;
  readonly #dependents = new Set<Closeable>();
  #closed = false;

  /** @internal maps come from BpfObject.map() or BpfMap.openPinned() */
  constructor(binding: NativeBinding, info: NativeMapInfo, ownsFd: boolean, usable: () => boolean = () => true, owner?: DependentOwner) {
    this.#binding = binding;
    this.name = info.name;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.#fd = info.fd;
    this.#ownsFd = ownsFd;
    this.#usable = usable;
    this.#owner = owner ?? { adopt: (d) => this.#dependents.add(d), release: (d) => this.#dependents.delete(d) };
    if (ownsFd) track(this);
  }

  /** Opens a map pinned in bpffs; close() it when done. */
  static openPinned(path: string, opts: MapOptions = {}): BpfMap {
    requireString("BpfMap.openPinned", "path", path);
    const binding = opts.binding ?? nativeBinding();
    const info = call(`open pinned map ${path}`, () => binding.mapOpenPinned(path), {
      ENOENT: "nothing is pinned there; start the program that pins it, or check the path",
    });
    return new BpfMap(binding, info, true);
  }

  get fd(): number {
    this.#check("fd");
    return this.#fd;
  }

  /** True for per-CPU maps, whose values hold one slot per possible CPU. */
  get perCpu(): boolean {
    return this.type.includes("percpu");
  }

  /** Bytes of one value as user space sees it: nCPU * roundup(valueSize, 8) for per-CPU maps. */
  get valueBytes(): number {
    if (!this.perCpu) return this.valueSize;
    return this.#binding.possibleCpus() * Math.ceil(this.valueSize / 8) * 8;
  }

  lookup(key: Uint8Array): Buffer | undefined {
    this.#checkKey("lookup", key);
    return call(this.#op("lookup in"), () => this.#binding.mapLookup(this.#fd, key, this.valueBytes));
  }

  update(key: Uint8Array, value: Uint8Array, flags: UpdateFlag = "any"): void {
    this.#checkKey("update", key);
    requireBytes(`${this.#where("update")}`, "value", value, this.valueBytes);
    const flag = UPDATE_FLAGS[requireOneOf(this.#where("update"), "flags", flags, Object.keys(UPDATE_FLAGS) as UpdateFlag[])];
    call(this.#op("update"), () => this.#binding.mapUpdate(this.#fd, key, value, flag), {
      EEXIST: "the key exists and flags is 'noexist'",
      ENOENT: "the key does not exist and flags is 'exist'",
      E2BIG: `the map is full (maxEntries ${this.maxEntries})`,
    });
  }

  /** Deletes one key; false if it was not there. */
  delete(key: Uint8Array): boolean {
    this.#checkKey("delete", key);
    return call(this.#op("delete from"), () => this.#binding.mapDelete(this.#fd, key), {
      EINVAL: `${this.type} maps do not support delete`,
    });
  }

  /** Iterates keys with BPF_MAP_GET_NEXT_KEY; keys deleted meanwhile may restart iteration (kernel behaviour). */
  *keys(): Generator<Buffer> {
    this.#check("keys");
    let key: Buffer | undefined;
    for (;;) {
      const prev = key ?? null;
      key = call(this.#op("iterate"), () => this.#binding.mapNextKey(this.#fd, prev, this.keySize));
      if (key === undefined) return;
      yield key;
    }
  }

  *entries(): Generator<[Buffer, Buffer]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /**
   * Reads up to maxEntries entries in a few syscalls. keys holds count * keySize bytes and values
   * count * valueBytes bytes, back to back. undefined when the kernel or map type has no batch support
   * (fall back to entries()).
   */
  lookupBatch(maxEntries = this.maxEntries): { keys: Buffer; values: Buffer; count: number } | undefined {
    this.#check("lookupBatch");
    requireUint(this.#where("lookupBatch"), "maxEntries", maxEntries, 0xffff_ffff, 1);
    return call(this.#op("batch lookup in"), () => this.#binding.mapLookupBatch(this.#fd, this.keySize, this.valueBytes, maxEntries));
  }

  pin(path: string): void {
    this.#check("pin");
    requireString(this.#where("pin"), "path", path);
    call(`pin map ${this.name} at ${path}`, () => this.#binding.mapPin(this.#fd, path), {
      EEXIST: "something is already pinned there; unpin it first",
      ENOENT: "the directory does not exist (is bpffs mounted at /sys/fs/bpf?)",
      EPERM: "the path must be on a bpffs mount (mount -t bpf bpf /sys/fs/bpf), and pinning needs root or CAP_BPF",
    });
  }

  /** Removes a pin (the map lives on while something else holds it). */
  unpin(path: string): void {
    requireString(this.#where("unpin"), "path", path);
    try {
      unlinkSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "EIO";
      throw new LibbpfError(
        `unpin map ${this.name} at ${path}`,
        errnoOf(code),
        code === "ENOENT" ? "nothing is pinned there" : (err as Error).message,
        "",
        { cause: err },
      );
    }
  }

  /** @internal a reader over this map registers here so it closes before the map (or its object) does */
  dependent(dependent: Closeable): () => void {
    this.#owner.adopt(dependent);
    return () => this.#owner.release(dependent);
  }

  /** Closes the fd of a map from openPinned(); maps of a BpfObject close with their object. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const d of [...this.#dependents]) d.close();
    if (this.#ownsFd) {
      untrack(this);
      this.#binding.mapClose(this.#fd);
    }
  }

  #where(method: string): string {
    return `BpfMap(${this.name}).${method}`;
  }

  #op(verb: string): string {
    return `${verb} map ${this.name}`;
  }

  #check(method: string): void {
    if (this.#closed || !this.#usable()) throw new Error(`${this.#where(method)}: the map is closed`);
  }

  #checkKey(method: string, key: Uint8Array): void {
    this.#check(method);
    requireBytes(this.#where(method), "key", key, this.keySize);
  }
}
