// `--policies FILE|DIR`: read at start and again whenever it changes. Its policies replace the set
// read from that path before; a read or a file that does not parse or compile keeps the previous
// good set and logs every error, one line each.
import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { basename, dirname, join } from "node:path";
import { formatPolicyError, type PolicyDocument } from "@flowlens/policy";
import type { PolicyStore } from "./store.js";

const POLICY_FILE = /\.(ya?ml|json)$/;

/** The documents under `path`: the file itself, or a directory's *.yaml, *.yml and *.json sorted by name. */
export function readPolicyPath(path: string): PolicyDocument[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`read --policies ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const files = st.isDirectory()
    ? readdirSync(path)
        .filter((f) => POLICY_FILE.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  return files.map((f) => {
    try {
      return { source: f, text: readFileSync(f, "utf8") };
    } catch (e) {
      throw new Error(`read --policies ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  });
}

export class PolicyFiles {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** What was last read (applied or rejected): unchanged files are not applied or reported again. */
  private lastText: string | undefined;
  private lastReadError = "";
  private ok = false;

  constructor(
    private readonly path: string,
    private readonly store: PolicyStore,
    private readonly log: (msg: string) => void,
    private readonly debounceMs = 200,
  ) {}

  /** Reads and applies the path now; true when the set from this path is what the files say. */
  load(): boolean {
    let docs: PolicyDocument[];
    try {
      docs = readPolicyPath(this.path);
    } catch (e) {
      const msg = (e as Error).message;
      this.store.originUnreadable(this.path, msg);
      if (msg !== this.lastReadError) this.log(`${msg}; keeping the policies read before`);
      this.lastReadError = msg;
      this.lastText = undefined;
      return false;
    }
    this.lastReadError = "";
    const text = JSON.stringify(docs);
    if (text === this.lastText) return this.ok;
    this.lastText = text;
    const res = this.store.replaceOrigin(this.path, docs);
    this.ok = res.errors.length === 0;
    if (!this.ok) {
      this.log(
        `--policies ${this.path} rejected (${res.errors.length} error${res.errors.length === 1 ? "" : "s"}), keeping the policies read before:`,
      );
      for (const e of res.errors) this.log(`  ${formatPolicyError(e)}`);
      return false;
    }
    this.log(
      `--policies ${this.path}: ${res.applied.length} ${res.applied.length === 1 ? "policy" : "policies"} applied (revision ${this.store.revision})`,
    );
    return true;
  }

  /**
   * Follows changes: an inotify watch on the directory (for a file, its parent: editors replace
   * files by renaming), debounced; and a slow poll in case the watched directory itself is replaced.
   */
  watch(pollMs = 2000): void {
    if (this.poll) return;
    let isDir = false;
    try {
      isDir = statSync(this.path).isDirectory();
    } catch {
      // missing for now: watch the parent
    }
    const dir = isDir ? this.path : dirname(this.path);
    const name = isDir ? undefined : basename(this.path);
    try {
      this.watcher = watch(dir, (_event, file) => {
        if (name === undefined || file === null || file === name) this.schedule();
      });
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // the poll below still notices changes
    }
    this.poll = setInterval(() => this.schedule(), pollMs);
    this.poll.unref();
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.load();
    }, this.debounceMs);
    this.debounce.unref();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    if (this.debounce) clearTimeout(this.debounce);
  }
}
