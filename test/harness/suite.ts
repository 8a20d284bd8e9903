// The usual start of an end-to-end suite: pods, then a collector watching them, ready to serve.
import { type Collector, startCollector } from "./collector.js";
import { createPods, type Pods, type PodsSpec } from "./pods.js";
import { waitFor } from "./run.js";

/** Creates the pods and starts a collector on their endpoints file; cleans up if either fails. */
export async function podsWithCollector(spec: PodsSpec, collectorArgs: string[] = []): Promise<{ pods: Pods; collector: Collector }> {
  const pods = await createPods(spec);
  try {
    const collector = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", "", ...collectorArgs]);
    // The collector attaches once the endpoints file is applied: wait for it before any traffic.
    await waitFor("collector attached", async () => collector.output().includes("serving"), 20_000);
    return { pods, collector };
  } catch (e) {
    await pods.destroy();
    throw e;
  }
}
