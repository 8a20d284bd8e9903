// BpfObject: open → configure (.rodata, map sizes, pinned maps) → load → programs/maps → close.
import { existsSync } from "node:fs";
import { call, errnoOf, LibbpfError } from "./errors.js";
import { type Closeable, track, untrack } from "./lifecycle.js";
import type { Link } from "./link.js";
import { BpfMap } from "./map.js";
import { type NativeBinding, type NativeMapInfo, nativeBinding, type ObjectHandle } from "./native.js";
import { BpfProgram, type ProgramOwner } from "./program.js";
import { requireBytes, requireString, requireUint } from "./validate.js";

export interface OpenOptions {
  /** The native addon; tests inject a fake. */
  binding?: NativeBinding;
  /** Where the kernel exposes its BTF; CO-RE objects cannot load without it. */
  kernelBtfPath?: string;
}

type State = "opened" | "loaded" | "closed";

export class BpfObject implements Closeable {
  readonly path: string;
  readonly #binding: NativeBinding;
  readonly #handle: ObjectHandle;
  readonly #links = new Set<Link>();
  /** Ring buffer readers over this object's maps: closed before the object. */
  readonly #dependents = new Set<Closeable>();
  #state: State = "opened";

  private constructor(binding: NativeBinding, handle: ObjectHandle, path: string) {
    this.#binding = binding;
    this.#handle = handle;
    this.path = path;
    track(this);
  }

  static open(path: string, opts: OpenOptions = {}): BpfObject {
    requireString("BpfObject.open", "path", path);
    const op = `open BPF object ${path}`;
    const build = "build the BPF objects first (make -C bpf)";
    if (!existsSync(path)) throw new LibbpfError(op, errnoOf("ENOENT"), build);
    const btf = opts.kernelBtfPath ?? "/sys/kernel/btf/vmlinux";
    if (!existsSync(btf)) {
      throw new LibbpfError(
        op,
        errnoOf("ENOTSUP"),
        `this kernel exposes no BTF at ${btf}; run a kernel built with CONFIG_DEBUG_INFO_BTF=y`,
      );
    }
    const binding = opts.binding ?? nativeBinding();
    const handle = call(
      op,
      () => binding.objectOpen(path),
      {
        ENOENT: build,
        EINVAL: "not a BPF ELF object (compile with clang -O2 -g -target bpf)",
        ENOEXEC: "not a BPF ELF object (compile with clang -O2 -g -target bpf)",
      },
      true,
    );
    return new BpfObject(binding, handle, path);
  }

  get loaded(): boolean {
    return this.#state === "loaded";
  }

  /** Sets a `const volatile` global before load(); value must be exactly the variable's size. */
  setRodata(varName: string, value: Uint8Array): void {
    const where = this.#beforeLoad("setRodata");
    requireString(where, "varName", varName);
    requireBytes(where, "value", value);
    call(`set .rodata variable ${varName} of ${this.path}`, () => this.#binding.objectSetRodata(this.#handle, varName, value), {
      ENOENT: `no const volatile global named ${varName} in ${this.path}`,
    });
  }

  /** Sets a map's max_entries before load() (the byte size for ring buffers: a power of 2, page-aligned). */
  setMapMaxEntries(mapName: string, n: number): void {
    const where = this.#beforeLoad("setMapMaxEntries");
    requireString(where, "mapName", mapName);
    requireUint(where, "n", n, 0xffff_ffff, 1);
    this.#requireMap(mapName);
    call(`set max entries of map ${mapName}`, () => this.#binding.objectSetMapMaxEntries(this.#handle, mapName, n));
  }

  /**
   * Before load(): use the map pinned at pinPath instead of creating one. false when nothing is
   * pinned there. Throws (errno EINVAL) when the pinned map's type, key/value size or max entries
   * differ from this object's definition (after setMapMaxEntries), naming what differs.
   */
  reusePinnedMap(mapName: string, pinPath: string): boolean {
    const where = this.#beforeLoad("reusePinnedMap");
    requireString(where, "mapName", mapName);
    requireString(where, "pinPath", pinPath);
    const want = this.#requireMap(mapName);
    const op = `reuse pinned map ${pinPath} for ${mapName}`;
    let pinned: NativeMapInfo;
    try {
      pinned = this.#binding.mapOpenPinned(pinPath);
    } catch (e) {
      if ((e as { errno?: number }).errno === errnoOf("ENOENT")) return false;
      return call(op, () => {
        throw e;
      });
    }
    this.#binding.mapClose(pinned.fd);
    const diffs = (["type", "keySize", "valueSize", "maxEntries"] as const)
      .filter((f) => pinned[f] !== want[f])
      .map((f) => `${f} ${pinned[f]} pinned, ${want[f]} wanted`);
    if (diffs.length > 0) throw new LibbpfError(op, errnoOf("EINVAL"), `the pinned map is incompatible: ${diffs.join(", ")}`);
    return call(op, () => this.#binding.objectReusePinnedMap(this.#handle, mapName, pinPath));
  }

  load(): void {
    this.#beforeLoad("load");
    call(
      `load ${this.path}`,
      () => this.#binding.objectLoad(this.#handle),
      {
        EACCES: "the verifier rejected a program; its log follows",
        EINVAL: "the kernel rejected the object; libbpf log follows",
        ENOENT: "a CO-RE relocation or kernel feature was not found; libbpf log follows",
      },
      true,
    );
    this.#state = "loaded";
  }

  programs(): { name: string; type: string; section: string }[] {
    this.#open("programs");
    return this.#binding.objectPrograms(this.#handle).map(({ name, type, section }) => ({ name, type, section }));
  }

  program(name: string): BpfProgram {
    const where = this.#open("program");
    requireString(where, "name", name);
    const info = this.programs().find((p) => p.name === name);
    if (!info) {
      const available = this.programs().map((p) => p.name);
      throw new LibbpfError(
        `find program ${name} in ${this.path}`,
        errnoOf("ENOENT"),
        `available programs: ${available.join(", ") || "(none)"}`,
      );
    }
    return new BpfProgram(this.#owner, info);
  }

  maps(): { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[] {
    this.#open("maps");
    return this.#binding
      .objectMaps(this.#handle)
      .map(({ name, type, keySize, valueSize, maxEntries }) => ({ name, type, keySize, valueSize, maxEntries }));
  }

  /** A loaded map; usable until this object closes. */
  map(name: string): BpfMap {
    const where = this.#open("map");
    requireString(where, "name", name);
    const info = this.#requireMap(name);
    if (this.#state !== "loaded") throw new Error(`${where}(${name}): load() the object first`);
    return new BpfMap(this.#binding, info, false, () => this.#state !== "closed", {
      adopt: (d) => this.#dependents.add(d),
      release: (d) => this.#dependents.delete(d),
    });
  }

  /** Closes ring buffer readers over its maps, detaches every link made from it, then closes it. Idempotent. */
  close(): void {
    if (this.#state === "closed") return;
    for (const dependent of [...this.#dependents]) dependent.close();
    for (const link of [...this.#links]) link.close();
    this.#state = "closed";
    untrack(this);
    this.#binding.objectClose(this.#handle);
  }

  get #owner(): ProgramOwner {
    return {
      binding: this.#binding,
      loadedHandle: (where) => {
        this.#open(where);
        if (this.#state !== "loaded") throw new Error(`${where}: load() the object first`);
        return this.#handle;
      },
      adopt: (link) => this.#links.add(link),
      release: (link) => this.#links.delete(link),
    };
  }

  #requireMap(name: string) {
    const maps = this.#binding.objectMaps(this.#handle);
    const info = maps.find((m) => m.name === name);
    if (!info) {
      throw new LibbpfError(
        `find map ${name} in ${this.path}`,
        errnoOf("ENOENT"),
        `available maps: ${maps.map((m) => m.name).join(", ") || "(none)"}`,
      );
    }
    return info;
  }

  #open(method: string): string {
    const where = `BpfObject(${this.path}).${method}`;
    if (this.#state === "closed") throw new Error(`${where}: the object is closed`);
    return where;
  }

  #beforeLoad(method: string): string {
    const where = this.#open(method);
    if (this.#state === "loaded") throw new Error(`${where}: the object is already loaded; call it before load()`);
    return where;
  }
}
