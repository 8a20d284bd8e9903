// Follows <state-dir>/l7/config.json: a directory watch (the collector renames a new file into place)
// plus a slow poll in case a notification is missed. A missing or broken file keeps the last good
// configuration and is logged once.
import { type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { type L7ProxyConfig, parseL7Config } from "@flowlens/l7-contract";
import { type Log, reason } from "@flowlens/runtime";

export class ConfigWatch {
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #stamp = "";

  constructor(
    readonly file: string,
    private readonly log: Log,
    private readonly onConfig: (c: L7ProxyConfig) => void,
    private readonly pollMs = 1000,
  ) {}

  start(): void {
    this.check();
    this.#watchDir();
    this.#poll = setInterval(() => {
      if (!this.#watcher) this.#watchDir();
      this.check();
    }, this.pollMs);
    this.#poll.unref();
  }

  /** Reads the file when it changed since the last look. */
  check(): void {
    let stamp: string;
    try {
      const st = statSync(this.file);
      stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      this.log.once("config", `config ${this.file} is missing; serving with the last good configuration`);
      this.#stamp = "";
      return;
    }
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    let config: L7ProxyConfig;
    try {
      config = parseL7Config(readFileSync(this.file, "utf8"), this.file);
    } catch (e) {
      this.log.once("config", `${reason(e)}; serving with the last good configuration`);
      return;
    }
    this.log.clear("config");
    this.onConfig(config);
  }

  close(): void {
    this.#watcher?.close();
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
  }

  #watchDir(): void {
    try {
      const name = basename(this.file);
      this.#watcher = watch(dirname(this.file), (_event, f) => {
        if (f !== null && f !== name) return;
        // One read for the burst of events a rename gives; kept short, the engine waits on it for new L7 endpoints.
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => this.check(), 2);
      });
      this.#watcher.on("error", () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      this.#watcher = undefined; // the directory does not exist yet: the poll retries
    }
  }
}
