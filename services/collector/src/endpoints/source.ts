// Keeps the registry in step with declarations: resolves each spec's interface and addresses,
// applies an endpoints file and re-applies it when it changes.

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

/** Resolves and registers one endpoint. */
export async function addEndpoint(registry: EndpointRegistry, spec: EndpointSpec, facts: EndpointFacts = systemFacts): Promise<Endpoint> {
  const ifindex = await facts.ifindexOf(spec.interface);
  const ips = spec.ips ?? (await facts.netnsAddresses(spec.netns));
  return registry.upsert(spec, { ifindex, ips });
}

/**
 * Applies an endpoints file: endpoints it declares are added or updated, endpoints it
 * declared before and no longer does are removed. Endpoints added through the API stay.
 */
export class EndpointsFile {
  private fromFile = new Set<string>();
  private watching = false;

  constructor(
    private readonly path: string,
    private readonly registry: EndpointRegistry,
    private readonly log: (msg: string) => void,
    private readonly facts: EndpointFacts = systemFacts,
  ) {}

  async apply(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (e) {
      throw new Error(`read endpoints file ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const specs = parseEndpointsFile(text, this.path);
    const next = new Set<string>();
    const errors: string[] = [];
    for (const spec of specs) {
      try {
        await addEndpoint(this.registry, spec, this.facts);
        next.add(EndpointRegistry.key(spec.namespace, spec.name));
      } catch (e) {
        errors.push(`${spec.namespace}/${spec.name}: ${(e as Error).message}`);
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
