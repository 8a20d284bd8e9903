// The history pipeline end to end on this machine: a synthetic collector (the real collector code,
// fed realistic records at a set rate) → relay → Kafka → ingester → ClickHouse, all real processes.
// Prints the sustained rate with the loss (flows served vs rows stored, dedup-aware), the latency
// from a flow's creation to being queryable (p50/p99 of the store's lag, sampled every 250 ms), the
// relay's RSS and every process's CPU; then, with Kafka stopped, the relay's RSS while its bounded
// export buffer fills (it must plateau) and the drops it counts.
// Usage: npx vite-node bench/pipeline.ts [-- --rate 20000 --seconds 60 --down-seconds 20 --source collector|light]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createClient } from "@clickhouse/client";
import { startClickHouse } from "@flowlens/test-harness/clickhouse";
import { freePort } from "@flowlens/test-harness/collector";
import { startKafka } from "@flowlens/test-harness/kafka";
import { startRelay } from "@flowlens/test-harness/relay";
import { REPO_ROOT } from "@flowlens/test-harness/topology";
import { startIngester } from "../test/ingester/daemon.ts";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { cpuSeconds, rssMiB, runBench, sleep } from "./lib/env.ts";

// --source collector: the real collector code fed synthetic records (its CPU shares the two cores);
// --source light: pre-encoded collector flows with fresh uuids and times (bench/lib/light-collector.mjs).
const opts = parseFlags({ rate: 20000, seconds: 60, downSeconds: 20, source: "collector" });
if (opts.source !== "collector" && opts.source !== "light") throw new Error(`--source collector|light, not ${opts.source}`);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : Number.NaN;
}

/** The synthetic collector as its own process; resolves `done` with what it fed and served. */
function startSource(port: number, rate: number, seconds: number) {
  const child = spawn(
    process.execPath,
    [
      resolve(REPO_ROOT, `bench/lib/${opts.source === "light" ? "light" : "synthetic"}-collector.mjs`),
      "--port",
      String(port),
      "--rate",
      String(rate),
      "--seconds",
      String(seconds),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  const ready = new Promise<void>((ok) =>
    child.stderr.on("data", (d) => {
      err += d;
      if (err.includes("ready")) ok();
    }),
  );
  const done = new Promise<{ fed: number; served: number; queueDropped: number }>((ok, fail) =>
    child.on("exit", (c) => (c === 0 ? ok(JSON.parse(out)) : fail(new Error(`synthetic collector: ${err.trim()}`)))),
  );
  return { pid: child.pid as number, ready, done, kill: () => child.kill("SIGKILL") };
}

runBench("pipeline", async () => {
  const [kafka, ch] = await Promise.all([startKafka(), startClickHouse()]);
  const cleanup: (() => Promise<unknown>)[] = [() => kafka.destroy(), () => ch.destroy()];
  try {
    await kafka.createTopics();
    const ingester = await startIngester(["--kafka-brokers", kafka.brokers, "--clickhouse-url", ch.url, "--batch-max-wait", "500"]);
    cleanup.unshift(() => ingester.stop());
    const port = await freePort();
    const source = startSource(port, opts.rate, opts.seconds);
    cleanup.unshift(async () => source.kill());
    await source.ready;
    const relayMetrics = await freePort();
    const relay = await startRelay([
      "--peers",
      `127.0.0.1:${port}`,
      "--kafka-brokers",
      kafka.brokers,
      "--buffer-flows",
      "200000",
      "--metrics-address",
      `127.0.0.1:${relayMetrics}`,
    ]);
    cleanup.unshift(() => relay.stop());
    const relayPid = relay.process.process.pid as number;
    const ingesterPid = ingester.proc.pid as number;
    const db = createClient({ url: ch.url });
    const newestNs = async () => {
      const r = await db.query({
        query: "SELECT max(toUInt64(time) * 1000000000 + time_ns) AS t, count() AS n FROM flowlens.flows",
        format: "JSONEachRow",
      });
      const [row] = (await r.json()) as { t: string; n: string }[];
      return { t: Number(row.t), n: Number(row.n) };
    };
    const pidIn = (dir: string, file: string) => Number(readFileSync(join(dir, file), "utf8").trim());
    const pids = {
      source: source.pid,
      relay: relayPid,
      kafka: pidIn(kafka.dataDir, "kafka.pid"),
      ingester: ingesterPid,
      clickhouse: pidIn(ch.dataDir, "clickhouse-server.pid"),
    };
    type Cpu = Record<keyof typeof pids, number>;
    // CPU seconds of each process, sampled while the source runs (it exits at the end: the last sample counts).
    const cpuSample = (): Cpu => Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)])) as Cpu;
    const cpu0 = cpuSample();
    let cpu1 = cpu0;
    let t1 = Date.now();
    const t0 = Date.now();
    const lags: number[] = [];
    let rssMax = 0;
    let finished = false;
    const fedP = source.done.then((r) => {
      finished = true;
      return r;
    });
    // Every 10 s, where the flows are: what the relay took in and still buffers, what the ingester stored.
    const relayMetric = async (name: string) => {
      const text = await (await fetch(`http://127.0.0.1:${relayMetrics}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(name));
      return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
    };
    let nextTrace = Date.now() + 10_000;
    while (!finished) {
      await sleep(250);
      const { t, n } = await newestNs();
      if (n > 0) lags.push(Date.now() - t / 1e6);
      if (Date.now() >= nextTrace) {
        nextTrace += 10_000;
        console.log(
          `pipeline: t=${fmt((Date.now() - t0) / 1000)} s: relay received ${fmt(await relayMetric("flowlens_relay_flows_received"))}, export buffer ${fmt(await relayMetric("flowlens_relay_buffer_flows"))}, produced ${fmt(await relayMetric("flowlens_relay_flows_produced"))}; ingester inserted ${fmt((await ingester.metric("flowlens_ingester_rows_inserted_total")) ?? 0)}; rows ${fmt(n)}, newest ${fmt(lags[lags.length - 1] / 1000, 1)} s old`,
        );
      }
      rssMax = Math.max(rssMax, rssMiB(relayPid));
      try {
        cpu1 = cpuSample();
        t1 = Date.now();
      } catch {} // the source has exited
    }
    const { fed, served, queueDropped } = await fedP;
    const cpu = Object.fromEntries(
      Object.keys(pids).map((k) => [k, (cpu1[k as keyof Cpu] - cpu0[k as keyof Cpu]) / ((t1 - t0) / 1000)]),
    ) as Cpu;
    // Drain: everything served must be stored, once.
    let stored = 0;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const r = await db.query({
        query: "SELECT count() AS n FROM (SELECT uuid FROM flowlens.flows GROUP BY uuid)",
        format: "JSONEachRow",
      });
      stored = Number(((await r.json()) as { n: string }[])[0].n);
      if (stored >= served) break;
      await sleep(1000);
    }
    await db.close();
    // Where flows went, from the relay's own counters.
    const relayCounters = (await (await fetch(`http://127.0.0.1:${relayMetrics}/metrics`)).text())
      .split("\n")
      .filter((l) =>
        /^flowlens_relay_(flows_received|duplicates_dropped|node_lost_events|flows_merged|flows_produced|buffer\w*|produce\w*_total)/.test(
          l,
        ),
      );
    console.log(`pipeline: relay counters: ${relayCounters.join("; ")}`);
    console.log(
      `pipeline: ingester rows inserted ${fmt((await ingester.metric("flowlens_ingester_rows_inserted_total")) ?? 0)}, dead letters ${fmt((await ingester.metric("flowlens_ingester_dead_letters_total")) ?? 0)}`,
    );
    // Zero loss counts from what the source was fed: its events queue drops records while its decoding is
    // held back for a relay that reads too slowly, as a real collector would (OBSERVER_EVENTS_QUEUE).
    const rate = fed / opts.seconds;
    const zeroLoss = stored === fed;
    console.log(
      `pipeline: offered ${fmt(opts.rate)} flows/s for ${opts.seconds} s: source fed ${fmt(fed)}, its queue dropped ${fmt(queueDropped)}, served ${fmt(served)}, stored ${fmt(stored)} (lost ${fmt(fed - stored)}: ${fmt(queueDropped)} in the collector's queue, ${fmt(served - stored)} after its ring)`,
    );
    console.log(
      `pipeline: queryable latency p50 ${fmt(quantile(lags, 0.5) / 1000, 2)} s, p99 ${fmt(quantile(lags, 0.99) / 1000, 2)} s; relay RSS max ${fmt(rssMax, 1)} MiB`,
    );
    console.log(
      `pipeline: CPU (% of one core) while fed: ${Object.entries(cpu)
        .map(([k, v]) => `${k} ${fmt(100 * v)}%`)
        .join(", ")}; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
    );
    result("pipeline sustained flows/s, zero loss", `${fmt(zeroLoss ? rate : 0)}/s`, ">= 100,000/s", zeroLoss && rate >= 100_000);
    result("pipeline queryable latency p99", `${fmt(quantile(lags, 0.99) / 1000, 2)} s`, "<= 5 s", quantile(lags, 0.99) <= 5000);

    // Kafka down: the relay's export buffer fills to its bound and RSS must plateau.
    await relay.stop();
    cleanup.shift();
    const port2 = await freePort();
    const source2 = startSource(port2, opts.rate, opts.downSeconds);
    cleanup.unshift(async () => source2.kill());
    await source2.ready;
    const relay2 = await startRelay(["--peers", `127.0.0.1:${port2}`, "--kafka-brokers", kafka.brokers, "--buffer-flows", "100000"]);
    cleanup.unshift(() => relay2.stop());
    await kafka.stop();
    const pid2 = relay2.process.process.pid as number;
    const rss: number[] = [];
    let done2 = false;
    void source2.done.then(() => {
      done2 = true;
    });
    while (!done2) {
      await sleep(1000);
      rss.push(rssMiB(pid2));
    }
    const half = rss.slice(Math.floor(rss.length / 2));
    console.log(
      `pipeline: Kafka down ${opts.downSeconds} s at ${fmt(opts.rate)} flows/s, buffer bound 100,000 flows: relay RSS ${rss.map((r) => fmt(r)).join(" ")} MiB`,
    );
    const growth = Math.max(...half) - Math.min(...half);
    result(
      "relay RSS with Kafka down (second half growth)",
      `${fmt(growth, 1)} MiB (max ${fmt(Math.max(...rss), 1)} MiB)`,
      "plateau",
      growth < 50,
    );
    await kafka.start();
  } finally {
    for (const c of cleanup) await c().catch(() => {});
  }
});
