// What the Observer service and the batched flow stream read of the collector: its identity, the
// live ring's stream dependencies, and the counters ServerStatus reports.
import type { StreamDeps } from "../flows/stream.js";

export interface ObserverState {
  nodeName: string;
  version: string;
  address: string;
  startedAt: number;
  deps: Omit<StreamDeps, "waitForData">;
  subscribe(listener: () => void): () => void;
  namespaces(): string[];
  flowsRate(): number;
  /** Events lost since start, by LostSource. */
  lost(): Map<number, number>;
}
