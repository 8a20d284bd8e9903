// Keeps the registry in step with declarations and with the system: resolves each spec's
// interface and addresses, applies an endpoints file (re-applied when it changes, one pass at a
// time), and re-resolves every endpoint now and then so a recreated veth or a changed address
// is followed.
import { unwatchFile, watchFile } from "node:fs";
import { readFile } from "node:fs/promises";
import { ifindexOf, netnsAddresses } from "./netns.js";
import { type Endpoint, EndpointRegistry } from "./registry.js";
import { type EndpointSpec, parseEndpointsFile } from "./spec.js";

export interface EndpointFacts {
  ifindexOf(ifname: string): Promise<number>;
  netnsAddresses(netns: string): Promise<string[]>;
}

export const systemFacts: EndpointFacts = { ifindexOf, netnsAddresses };

/** Resolves and registers one endpoint (unchanged facts leave it as it is). */
export async function addEndpoint(registry: EndpointRegistry, spec: EndpointSpec, facts: EndpointFacts = systemFacts): Promise<Endpoint> {
  const ifindex = await facts.ifindexOf(spec.interface);
  const ips = spec.ips ?? (await facts.netnsAddresses(spec.netns));
  return registry.upsert(spec, { ifindex, ips });
}

/**
 * Re-resolves every registered endpoint (and retries `pending` specs): a veth recreated with a
 * new ifindex is re-attached, new addresses are followed. An endpoint whose interface is gone
 * stays registered until it comes back or is deleted.
 */
export async function reconcile(
  registry: EndpointRegistry,
  pending: Iterable<EndpointSpec>,
  facts: EndpointFacts = systemFacts,
): Promise<void> {
  for (const spec of [...registry.list().map((e) => e.spec), ...pending]) {
    try {
      await addEndpoint(registry, spec, facts);
    } catch {
      // Still missing: nothing to change; the file or API reported it when it was declared.
    }
  }
}

/**
 * Applies an endpoints file: endpoints it declares are added or updated, endpoints it declared
 * before and no longer does are removed. Endpoints added through the API stay. An endpoint that
 * cannot be resolved keeps its previous registration, and is retried by reconcile().
 */
export class EndpointsFile {
  private fromFile = new Set<string>();
  /** Declared but not resolvable yet (interface or netns missing). */
  readonly pending = new Map<string, EndpointSpec>();
  private watching = false;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly path: string,
    private readonly registry: EndpointRegistry,
    private readonly log: (msg: string) => void,
    private readonly facts: EndpointFacts = systemFacts,
  ) {}

  /** One pass at a time: a change during a pass triggers exactly one more pass after it. */
  apply(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.applyOnce();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async applyOnce(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (e) {
      throw new Error(`read endpoints file ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    const specs = parseEndpointsFile(text, this.path);
    const next = new Set<string>();
    const errors: string[] = [];
    this.pending.clear();
    for (const spec of specs) {
      const key = EndpointRegistry.key(spec.namespace, spec.name);
      next.add(key);
      try {
        await addEndpoint(this.registry, spec, this.facts);
      } catch (e) {
        this.pending.set(key, spec);
        errors.push(`${key}: ${(e as Error).message}`);
      }
    }
    for (const key of this.fromFile) {
      if (next.has(key)) continue;
      const [ns, name] = key.split("/");
      this.registry.remove(ns, name);
    }
    this.fromFile = next;
    if (errors.length) throw new Error(`endpoints file ${this.path}: ${errors.join("; ")}`);
  }

  /** Re-reads on change (polling: survives editors that replace the file). */
  watch(intervalMs = 1000): void {
    if (this.watching) return;
    this.watching = true;
    watchFile(this.path, { interval: intervalMs }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
      this.apply().then(
        () => this.log(`endpoints file ${this.path} re-applied: ${this.registry.list().length} endpoints`),
        (e: Error) => this.log(e.message),
      );
    });
  }

  close(): void {
    if (this.watching) unwatchFile(this.path);
    this.watching = false;
  }
}
