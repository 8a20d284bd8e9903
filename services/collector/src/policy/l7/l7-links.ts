// The sk_lookup program on endpoint network namespaces, as pinned bpf_links
// <pin-path>/links/sklookup-<endpointId>, so the L7 redirect outlives the collector. Which netns a
// pin is attached to is remembered in <state-dir>/l7/links.json (endpoint ids can name another
// endpoint after a restart): a pin whose netns changed is replaced, one of a running collector's
// earlier object is switched to the current program in place.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BpfProgram, Link } from "libbpf-ts";

export const SKLOOKUP_PIN_PREFIX = "sklookup-";

interface LinkRecord {
  netns: string;
  /** The netns file's inode: a netns deleted and re-created under the same name is another one. */
  ino: number;
}

export interface SkLookupLinksOptions {
  pinPath: string;
  /** links.json */
  stateFile: string;
  program: BpfProgram;
  log(msg: string): void;
}

export function linkPinPath(pinPath: string, endpointId: number): string {
  return join(pinPath, "links", `${SKLOOKUP_PIN_PREFIX}${endpointId}`);
}

export class SkLookupLinks {
  readonly #opts: SkLookupLinksOptions;
  readonly #records: Map<number, LinkRecord>;
  /** Pins already running this process's program. */
  readonly #current = new Set<number>();
  readonly #failed = new Set<string>();

  constructor(opts: SkLookupLinksOptions) {
    this.#opts = opts;
    this.#records = readRecords(opts.stateFile);
  }

  /** Endpoint ids with a pinned link (after the last sync). */
  attached(): number[] {
    return [...this.#records.keys()].sort((a, b) => a - b);
  }

  /** Leaves exactly one pinned link per wanted endpoint, on its netns; removes the others. */
  sync(wanted: readonly { endpointId: number; netns: string }[]): void {
    const { pinPath, log } = this.#opts;
    mkdirSync(join(pinPath, "links"), { recursive: true });
    const want = new Map(wanted.map((w) => [w.endpointId, w.netns]));
    for (const id of this.#pinnedIds()) if (!want.has(id)) this.#remove(id);
    for (const [id, netns] of want) {
      let ino: number;
      try {
        ino = statSync(netns).ino;
      } catch (e) {
        this.#once(
          `${id}:${netns}`,
          `L7 redirect: netns ${netns} of endpoint ${id}: ${(e as NodeJS.ErrnoException).code ?? e}; not attached`,
        );
        continue;
      }
      const path = linkPinPath(pinPath, id);
      const rec = this.#records.get(id);
      if (existsSync(path) && rec?.netns === netns && rec.ino === ino) {
        if (this.#current.has(id)) continue;
        try {
          const link = Link.openPinned(path);
          try {
            link.update(this.#opts.program);
          } finally {
            link.close();
          }
          this.#current.add(id);
          continue;
        } catch (e) {
          log(`L7 redirect: pinned link ${path} could not be switched to the new program (${(e as Error).message}); attaching anew`);
        }
      }
      if (existsSync(path)) this.#remove(id);
      try {
        const link = this.#opts.program.attachNetns(netns);
        try {
          link.pin(path);
        } finally {
          link.close(); // the pin keeps it attached
        }
      } catch (e) {
        this.#once(`${id}:${netns}`, `L7 redirect: attach to ${netns} (endpoint ${id}): ${(e as Error).message}`);
        continue;
      }
      this.#failed.delete(`${id}:${netns}`);
      this.#records.set(id, { netns, ino });
      this.#current.add(id);
    }
    this.#save();
  }

  /** Detaches and unpins every sklookup link under pinPath. Returns how many. */
  static removeAll(pinPath: string, stateFile: string, log: (msg: string) => void): number {
    let n = 0;
    const dir = join(pinPath, "links");
    if (existsSync(dir)) {
      for (const name of readdirSync(dir)) {
        if (!name.startsWith(SKLOOKUP_PIN_PREFIX)) continue;
        try {
          Link.openPinned(join(dir, name)).detach();
          n++;
        } catch (e) {
          log(`L7 redirect: remove ${join(dir, name)}: ${(e as Error).message}`);
        }
      }
    }
    writeRecords(stateFile, new Map());
    return n;
  }

  #pinnedIds(): number[] {
    const dir = join(this.#opts.pinPath, "links");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => n.startsWith(SKLOOKUP_PIN_PREFIX))
      .map((n) => Number(n.slice(SKLOOKUP_PIN_PREFIX.length)))
      .filter((id) => Number.isInteger(id));
  }

  #remove(id: number): void {
    const path = linkPinPath(this.#opts.pinPath, id);
    try {
      if (existsSync(path)) Link.openPinned(path).detach();
    } catch (e) {
      this.#opts.log(`L7 redirect: detach ${path}: ${(e as Error).message}`);
    }
    this.#records.delete(id);
    this.#current.delete(id);
  }

  #once(key: string, msg: string): void {
    if (this.#failed.has(key)) return;
    this.#failed.add(key);
    this.#opts.log(msg);
  }

  #save(): void {
    writeRecords(this.#opts.stateFile, this.#records);
  }
}

function readRecords(file: string): Map<number, LinkRecord> {
  try {
    const doc = JSON.parse(readFileSync(file, "utf8")) as Record<string, LinkRecord>;
    return new Map(
      Object.entries(doc)
        .filter(([, r]) => typeof r?.netns === "string" && typeof r?.ino === "number")
        .map(([k, r]) => [Number(k), r]),
    );
  } catch {
    return new Map(); // none yet, or unreadable: every pin is then replaced once
  }
}

function writeRecords(file: string, records: Map<number, LinkRecord>): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(Object.fromEntries(records), null, 1)}\n`);
  renameSync(tmp, file);
}
