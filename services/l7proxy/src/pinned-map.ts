// A map pinned in bpffs, reopened when the pin is replaced (the collector re-created it), so the proxy
// always talks to the map the kernel programs use.
import { statSync } from "node:fs";
import { type Log, reason } from "@flowlens/runtime";
import { BpfMap } from "libbpf-ts";

export class PinnedMap {
  #map: BpfMap | undefined;
  #ino = 0;

  constructor(
    readonly path: string,
    private readonly log: Log,
  ) {}

  /** The open map, opening it if needed; undefined (logged once) while nothing is pinned there. */
  get(): BpfMap | undefined {
    if (!this.#map) this.refresh();
    return this.#map;
  }

  /** Reopens when the pin's inode changed; true when the map behind the path is a different one now. */
  refresh(): boolean {
    let ino: number;
    try {
      ino = statSync(this.path).ino;
    } catch {
      if (this.#map) this.close();
      this.log.once(`pin:${this.path}`, `map ${this.path} is not pinned (is the collector installed?); retrying`);
      return false;
    }
    if (this.#map && ino === this.#ino) return false;
    this.close();
    try {
      this.#map = BpfMap.openPinned(this.path);
      this.#ino = ino;
      this.log.clear(`pin:${this.path}`);
      return true;
    } catch (e) {
      this.log.once(`pin:${this.path}`, `open ${this.path}: ${reason(e)}; retrying`);
      return false;
    }
  }

  close(): void {
    this.#map?.close();
    this.#map = undefined;
    this.#ino = 0;
  }
}
