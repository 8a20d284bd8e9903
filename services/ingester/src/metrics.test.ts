// The metrics registry exposes the pipeline's counters and per-partition lag over HTTP.

import { serveMetrics } from "@flowlens/runtime";
import { afterAll, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";

const m = createMetrics();
const server = await serveMetrics(m.registry, "127.0.0.1", 0);
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it("serves rows, batches, lag, dead letters and paused state on /metrics, 404 elsewhere", async () => {
  m.pipeline.batchStored(500, 0.2);
  m.pipeline.paused(true);
  m.setLag(
    new Map([
      [0, 12],
      [1, 0],
    ]),
  );
  m.deadLettered("schema");
  const addr = server.address() as { port: number };
  const text = await (await fetch(`http://127.0.0.1:${addr.port}/metrics`)).text();
  expect(text).toMatch(/^flowlens_ingester_rows_inserted_total 500$/m);
  expect(text).toMatch(/^flowlens_ingester_batches_total 1$/m);
  expect(text).toMatch(/^flowlens_ingester_insert_duration_seconds_count 1$/m);
  expect(text).toMatch(/^flowlens_ingester_paused 1$/m);
  expect(text).toMatch(/^flowlens_ingester_consumer_lag\{partition="0"\} 12$/m);
  expect(text).toMatch(/^flowlens_ingester_dead_letters_total\{kind="schema"\} 1$/m);
  expect((await fetch(`http://127.0.0.1:${addr.port}/other`)).status).toBe(404);
});
