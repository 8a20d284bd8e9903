// The node's policies: what is applied, where each came from, persisted so a restart re-applies
// them. Every change is all-or-nothing: the whole new set is parsed and compiled first; only when
// that succeeds is it written to disk, swapped in and installed into the kernel maps.
// Start fails closed: when a persisted policy or a --policies path does not parse or compile,
// enforce() holds — the maps keep the set they were last written with (kept in LAST_GOOD), health
// says which source failed, and API changes are refused until they fix it.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import {
  describeRef,
  formatPolicyError,
  type Policy,
  type PolicyDocument,
  type PolicyError,
  type PolicyRef,
  parsePolicyDocuments,
} from "@flowlens/policy";
import { PolicyHealth } from "./health.js";

/** Origin of policies applied through the gRPC service (the others carry their --policies path). */
export const API_ORIGIN = "api";

export interface StoredPolicy {
  policy: Policy;
  /** Store revision when this policy was last applied. */
  revision: number;
  appliedAtMs: number;
  /** API_ORIGIN or the --policies path it was read from. */
  origin: string;
}

/** Compiles a whole policy set against the current endpoints; install() makes it the enforced one. */
export interface PolicyInstaller {
  prepare(set: readonly StoredPolicy[]): { ok: true; install(): void } | { ok: false; errors: PolicyError[] };
}

export interface ApplyResult {
  applied: StoredPolicy[];
  errors: PolicyError[];
}

/** Deleting or changing a policy that belongs to another origin (a --policies file). */
export class PolicyOriginError extends Error {}
/** A change refused because start-up holds the last good set until the failing source is fixed. */
export class PolicyHeldError extends Error {}

export interface StoreOptions {
  /** `<state-dir>/policies`; undefined: nothing is persisted. */
  dir?: string;
  installer: PolicyInstaller;
  log(msg: string): void;
  now?(): number;
}

export function policyKey(ref: PolicyRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

export { ruleCount } from "@flowlens/policy";

/** Persisted file of a policy: names are DNS labels/subdomains, so "_" separates safely. */
function fileName(ref: PolicyRef): string {
  const kind = ref.kind === "CiliumClusterwideNetworkPolicy" ? "ccnp" : "cnp";
  return `${kind}_${ref.namespace}_${ref.name}.yaml`;
}

const HEADER = /^# flowlens policy: revision (\d+), applied (\S+)\n/;

/** In the store's dir: every policy of the set last written to the maps (all origins), as JSON. */
const LAST_GOOD = ".last-good.json";

interface LastGoodEntry {
  origin: string;
  revision: number;
  appliedAtMs: number;
  source: string;
  text: string;
}

/** Health keys: what clears each problem. */
const fileProblem = (ref: PolicyRef) => `file:${fileName(ref)}`;
const originProblem = (origin: string) => `origin:${origin}`;
const COMPILE_PROBLEM = "compile";

function originText(origin: string): string {
  return origin === API_ORIGIN ? "the API (flowlens policy apply)" : `--policies ${origin}`;
}

export class PolicyStore {
  private byKey = new Map<string, StoredPolicy>();
  private rev = 0;
  /** Per --policies origin, each file's last parse (by source), reused while its text stays the same. */
  private readonly parsedFiles = new Map<string, Map<string, { text: string; policies: Policy[] }>>();
  private readonly now: () => number;
  /** Sources that fail to read, parse or compile; ok = the installed set is what they all say. */
  readonly health = new PolicyHealth();
  /** Set by enforce() when start found a problem: the maps are not written until every problem is fixed. */
  private held = false;
  /** Set by enforce() (or the end of the hold): changes are written to the maps from now on. */
  private enforcing = false;
  private startEnforcing: (() => void) | undefined;

  constructor(private readonly opts: StoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** True while start-up holds the pinned maps at the last good set. */
  get holding(): boolean {
    return this.held;
  }

  get revision(): number {
    return this.rev;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Sorted by kind, namespace, name. */
  list(): StoredPolicy[] {
    return [...this.byKey.values()].sort(
      (a, b) =>
        a.policy.ref.kind.localeCompare(b.policy.ref.kind) ||
        a.policy.ref.namespace.localeCompare(b.policy.ref.namespace) ||
        a.policy.ref.name.localeCompare(b.policy.ref.name),
    );
  }

  /** `kind` "" finds a namespaced policy first, then a clusterwide one of that name. */
  get(name: string, namespace: string, kind = ""): StoredPolicy | undefined {
    const ns = namespace || "default";
    if (kind === "" || kind === "CiliumNetworkPolicy") {
      const p = this.byKey.get(policyKey({ kind: "CiliumNetworkPolicy", namespace: ns, name }));
      if (p || kind !== "") return p;
    }
    if (kind === "" || kind === "CiliumClusterwideNetworkPolicy")
      return this.byKey.get(policyKey({ kind: "CiliumClusterwideNetworkPolicy", namespace: "", name }));
    return undefined;
  }

  /** Adds or replaces the policies of `docs` (origin API_ORIGIN: persisted). */
  apply(docs: PolicyDocument[], origin = API_ORIGIN): ApplyResult {
    const parsed = parsePolicyDocuments(docs);
    if (parsed.errors.length) return { applied: [], errors: parsed.errors };
    if (parsed.policies.length === 0) {
      const source = docs.map((d) => d.source).join(", ") || "(no documents)";
      return {
        applied: [],
        errors: [{ source, path: "", message: "no CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy in the input" }],
      };
    }
    return this.change(parsed.policies, origin, false);
  }

  /** The policies of one --policies path become exactly `docs` (those no longer there are removed). */
  replaceOrigin(origin: string, docs: PolicyDocument[]): ApplyResult {
    const parsed = this.parseFiles(origin, docs);
    const res = parsed.errors.length ? { applied: [], errors: parsed.errors } : this.change(parsed.policies, origin, true);
    if (res.errors.length) this.fail(originProblem(origin), res.errors[0].source || origin, res.errors);
    else this.fixed([originProblem(origin)]);
    return res;
  }

  /**
   * parsePolicyDocuments(docs), parsing only the files whose text changed since the last call for
   * the origin. Any error or a policy defined in two files: the whole set is parsed again, so the
   * errors are exactly (and in the order) that gives.
   */
  private parseFiles(origin: string, docs: PolicyDocument[]): { policies: Policy[]; errors: PolicyError[] } {
    const last = this.parsedFiles.get(origin);
    const next = new Map<string, { text: string; policies: Policy[] }>();
    const policies: Policy[] = [];
    const seen = new Set<string>();
    for (const doc of docs) {
      let file = last?.get(doc.source);
      if (file?.text !== doc.text) {
        const one = parsePolicyDocuments([doc]);
        if (one.errors.length) return this.parseAll(origin, docs);
        file = { text: doc.text, policies: one.policies };
      }
      if (next.has(doc.source)) return this.parseAll(origin, docs);
      next.set(doc.source, file);
      for (const p of file.policies) {
        const key = policyKey(p.ref);
        if (seen.has(key)) return this.parseAll(origin, docs);
        seen.add(key);
        policies.push(p);
      }
    }
    this.parsedFiles.set(origin, next);
    return { policies, errors: [] };
  }

  private parseAll(origin: string, docs: PolicyDocument[]): { policies: Policy[]; errors: PolicyError[] } {
    this.parsedFiles.delete(origin);
    return parsePolicyDocuments(docs);
  }

  /** Removes an API policy; undefined when there is none. Throws PolicyOriginError for a file's policy. */
  delete(name: string, namespace: string, kind = ""): StoredPolicy | undefined {
    const found = this.get(name, namespace, kind);
    if (!found) return undefined;
    if (found.origin !== API_ORIGIN)
      throw new PolicyOriginError(`policy ${describeRef(found.policy.ref)} comes from ${originText(found.origin)}: remove it from there`);
    const next = new Map(this.byKey);
    next.delete(policyKey(found.policy.ref));
    const errors = this.commit(next, [], [found]);
    if (errors) throw new (this.held ? PolicyHeldError : Error)(errors.map((e) => e.message).join("; "));
    return found;
  }

  /**
   * Reads the persisted policies (start-up). A file that does not parse is a health problem (its
   * policy keeps its last good version, see enforce()); the others are recorded in the installer.
   */
  load(): void {
    const dir = this.opts.dir;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const next = new Map<string, StoredPolicy>();
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith(".yaml")) continue;
      const path = join(dir, f);
      const text = readFileSync(path, "utf8");
      const header = HEADER.exec(text);
      const { policies, errors } = parsePolicyDocuments([{ source: path, text }]);
      if (errors.length) {
        this.fail(`file:${f}`, path, errors);
        continue;
      }
      for (const policy of policies) {
        const revision = header ? Number(header[1]) : 0;
        const appliedAtMs = header ? Date.parse(header[2]) || 0 : 0;
        next.set(policyKey(policy.ref), { policy, revision, appliedAtMs, origin: API_ORIGIN });
        this.rev = Math.max(this.rev, revision);
      }
    }
    if (next.size === 0) return;
    for (const [k, v] of next) this.byKey.set(k, v);
    const prep = this.opts.installer.prepare([...this.byKey.values()]);
    if (!prep.ok) {
      this.fail(COMPILE_PROBLEM, dir, prep.errors);
      return;
    }
    prep.install();
    this.opts.log(`read ${next.size} persisted policies from ${dir}`);
  }

  /**
   * After load() and the first --policies read: healthy, start() writes the maps now. Otherwise
   * start-up holds at the last good set (LAST_GOOD, what the maps were last written with): it is
   * written again — an unchanged diff for the pinned entries, and endpoints that appear meanwhile are
   * enforced by it. Without LAST_GOOD nothing is written: hold(set) only names the verdicts. The
   * failing sources keep their last good policies in the list; the hold ends with the change that
   * fixes the last of them.
   */
  enforce(start: () => void, hold: (lastGood: readonly StoredPolicy[]) => void): void {
    if (this.health.ok) {
      this.enforcing = true;
      start();
      this.saveLastGood();
      return;
    }
    this.held = true;
    this.startEnforcing = start;
    const lastGood = this.readLastGood();
    for (const s of lastGood) {
      const key = policyKey(s.policy.ref);
      const failing = this.health.has(s.origin === API_ORIGIN ? fileProblem(s.policy.ref) : originProblem(s.origin));
      if (failing && !this.byKey.has(key)) this.byKey.set(key, s);
    }
    const prep = lastGood.length ? this.opts.installer.prepare(lastGood) : undefined;
    if (prep?.ok) {
      prep.install();
      start();
    } else hold(lastGood.length ? lastGood : [...this.byKey.values()]);
    this.opts.log(
      `policy: ${this.health.list().length} policy source(s) failed at start: ${
        prep?.ok
          ? `enforcing the last good set (${lastGood.length} policies)`
          : "no last good set to enforce, the pinned maps stay as they are"
      } until they are fixed`,
    );
  }

  /** A --policies path that cannot be read: a health problem until a read succeeds. */
  originUnreadable(origin: string, message: string): void {
    this.fail(originProblem(origin), origin, [{ source: origin, path: "", message }]);
  }

  private fail(key: string, source: string, errors: readonly PolicyError[]): void {
    const message = errors.length ? formatPolicyError(errors[0]) : source;
    const known = this.health.list().find((p) => p.source === source && p.message === message);
    this.health.fail(key, { source, message, count: Math.max(1, errors.length) });
    // Once enforcing, the caller's own log says what is kept (see PolicyFiles).
    if (!known && !this.enforcing)
      this.opts.log(`policy enforcement held at the last good set: ${message.startsWith(source) ? message : `${source}: ${message}`}`);
  }

  /** Problems fixed by a successful change; start-up's hold ends with the last one. */
  private fixed(keys: Iterable<string>): void {
    const was = this.health.ok;
    for (const k of keys) this.health.clear(k);
    if (!this.health.ok || was) return;
    this.opts.log("policy: every policy source is good again");
    if (!this.held) return;
    this.held = false;
    this.enforcing = true;
    const start = this.startEnforcing;
    this.startEnforcing = undefined;
    start?.();
    this.saveLastGood();
  }

  /** What LAST_GOOD says, parsed again; [] when there is none or it is unreadable. */
  private readLastGood(): StoredPolicy[] {
    const dir = this.opts.dir;
    if (!dir) return [];
    let entries: LastGoodEntry[];
    try {
      entries = JSON.parse(readFileSync(join(dir, LAST_GOOD), "utf8"));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") this.opts.log(`policy: last good set ${join(dir, LAST_GOOD)} unreadable: ${code ?? (e as Error).message}`);
      return [];
    }
    const out: StoredPolicy[] = [];
    for (const e of entries) {
      const { policies } = parsePolicyDocuments([{ source: e.source, text: e.text }]);
      for (const policy of policies) out.push({ policy, revision: e.revision, appliedAtMs: e.appliedAtMs, origin: e.origin });
    }
    return out;
  }

  /** The set just written to the maps becomes the last good one. */
  private saveLastGood(): void {
    const dir = this.opts.dir;
    if (!dir || !this.enforcing) return;
    const entries: LastGoodEntry[] = this.list().map((s) => ({
      origin: s.origin,
      revision: s.revision,
      appliedAtMs: s.appliedAtMs,
      source: s.policy.source,
      text: s.policy.text,
    }));
    try {
      mkdirSync(dir, { recursive: true });
      writeAtomic(join(dir, LAST_GOOD), JSON.stringify(entries));
    } catch (e) {
      this.opts.log(`policy: saving the last good set in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  private change(policies: Policy[], origin: string, replace: boolean): ApplyResult {
    const errors: PolicyError[] = [];
    for (const p of policies) {
      const existing = this.byKey.get(policyKey(p.ref));
      if (existing && existing.origin !== origin)
        errors.push({
          source: p.source,
          path: "metadata.name",
          line: p.line,
          message: `policy ${describeRef(p.ref)} (${p.ref.kind}) already comes from ${originText(existing.origin)}: rename it or remove it there first`,
        });
    }
    if (errors.length) return { applied: [], errors };
    const revision = this.rev + 1;
    const appliedAtMs = this.now();
    const next = new Map(this.byKey);
    const removed: StoredPolicy[] = [];
    if (replace) {
      const keep = new Set(policies.map((p) => policyKey(p.ref)));
      for (const [k, s] of this.byKey)
        if (s.origin === origin && !keep.has(k)) {
          next.delete(k);
          removed.push(s);
        }
    }
    const written: StoredPolicy[] = [];
    for (const policy of policies) {
      const key = policyKey(policy.ref);
      const old = this.byKey.get(key);
      // Unchanged text keeps its revision and time: re-reading a file is not a change (a damaged file is rewritten).
      if (old && old.policy.text === policy.text && !this.health.has(fileProblem(policy.ref))) continue;
      const s = { policy, revision, appliedAtMs, origin };
      next.set(key, s);
      written.push(s);
    }
    if (written.length || removed.length) {
      const failed = this.commit(next, written, removed, origin === API_ORIGIN);
      if (failed) return { applied: [], errors: failed };
    }
    return { applied: policies.map((p) => next.get(policyKey(p.ref)) as StoredPolicy), errors: [] };
  }

  /** Compile, persist, swap, install — in that order, so a failure before the swap changes nothing. */
  private commit(next: Map<string, StoredPolicy>, written: StoredPolicy[], removed: StoredPolicy[], api = true): PolicyError[] | undefined {
    const touched = [...written, ...removed].filter((s) => s.origin === API_ORIGIN).map((s) => fileProblem(s.policy.ref));
    if (this.held && api) {
      // An API change ends the hold or waits: it must not be accepted and then not enforced.
      const left = this.health.keys().filter((k) => k !== COMPILE_PROBLEM && !touched.includes(k));
      if (left.length)
        return left.map((k) => {
          const p = this.health.get(k);
          return {
            source: p?.source ?? k,
            path: "",
            message: `the node enforces its last good policies until this is fixed: ${p?.message ?? k}; ${
              k.startsWith("file:")
                ? "apply a good version of its policy (or delete the policy) in this request, or repair the file and restart"
                : "repair it (a --policies path is watched)"
            }`,
          };
        });
    }
    const prep = this.opts.installer.prepare([...next.values()]);
    if (!prep.ok) return prep.errors;
    this.persist(
      written.filter((s) => s.origin === API_ORIGIN),
      removed.filter((s) => s.origin === API_ORIGIN),
    );
    this.byKey = next;
    this.rev += 1;
    prep.install();
    this.fixed([COMPILE_PROBLEM, ...touched]);
    this.saveLastGood();
    return undefined;
  }

  /** One file per policy; each written to a temporary name, synced and renamed over the old one. */
  private persist(written: StoredPolicy[], removed: StoredPolicy[]): void {
    const dir = this.opts.dir;
    if (!dir || (written.length === 0 && removed.length === 0)) return;
    mkdirSync(dir, { recursive: true });
    const staged: [tmp: string, final: string][] = [];
    try {
      for (const s of written) {
        const final = join(dir, fileName(s.policy.ref));
        const tmp = `${final}.tmp-${process.pid}`;
        const header = `# flowlens policy: revision ${s.revision}, applied ${new Date(s.appliedAtMs).toISOString()}\n`;
        const fd = openSync(tmp, "w", 0o600);
        try {
          writeSync(fd, header + s.policy.text);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        staged.push([tmp, final]);
      }
    } catch (e) {
      for (const [tmp] of staged) rmSync(tmp, { force: true });
      throw new Error(`persist policies in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    for (const [tmp, final] of staged) renameSync(tmp, final);
    for (const s of removed) rmSync(join(dir, fileName(s.policy.ref)), { force: true });
  }
}

/**
 * Written to a temporary name and renamed over `path`: a process that dies midway leaves the old
 * file. Not fsynced: the pinned maps it describes do not outlive a reboot either (~9 ms saved per
 * Apply with 1,000 policies).
 */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}
