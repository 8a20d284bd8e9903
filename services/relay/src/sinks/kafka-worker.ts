// The Kafka worker thread (see kafka.ts): owns the kafkajs producers, takes packed batches from the
// relay's main thread, answers each with done or the error.
import { parentPort, workerData } from "node:worker_threads";
import { type FromWorker, kafkaDelivery, type ToWorker, type WorkerConfig } from "./kafka.js";
import { unpackBatch } from "./packed-batch.js";

const port = parentPort;
if (!port) throw new Error("kafka-worker.js runs as a worker thread");
const { opts, producers } = workerData as WorkerConfig;
const deliveries = Array.from({ length: producers }, (_, i) =>
  kafkaDelivery({ ...opts, clientId: `${opts.clientId ?? "flowlens-relay"}-${i}` }),
);

port.on("message", (m: ToWorker) => {
  if (m.op === "send") {
    deliveries[m.producer].deliver(unpackBatch(m.buf)).then(
      () => port.postMessage({ op: "done", id: m.id } satisfies FromWorker),
      (e: Error) => port.postMessage({ op: "done", id: m.id, error: e.message } satisfies FromWorker),
    );
  } else if (m.op === "close") {
    void Promise.all(deliveries.map((d) => d.close())).then(() => port.postMessage({ op: "closed" } satisfies FromWorker));
  }
});
