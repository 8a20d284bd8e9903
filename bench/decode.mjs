// Records decoded and aggregated per second on one core: the collector's RecordDecoder (per-flow table,
// side tables, live ring of 4095) fed synthetic ring-buffer batches in a tight loop.
// Usage: node bench/decode.mjs [--seconds 10] [--batch-size 4096] [--flows 65536] [--window 16384] [--mix flow|tcp] [--no-copy]
import { RecordDecoder } from "../services/collector/dist/datapath/decoder.js";
import { LiveRing } from "../services/collector/dist/flows/ring.js";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { buildBatches } from "./lib/records.mjs";

const TARGET = 2_000_000;
const opts = parseFlags({ seconds: 10, batchSize: 4096, flows: 65536, window: 16384, mix: "flow", noCopy: false, warmup: 2 });

const { batches, counts } = buildBatches({ batches: 64, batchSize: opts.batchSize, flows: opts.flows, window: opts.window, mix: opts.mix });
const total = counts.flow + counts.drop + counts.sock;
console.log(
  `decode: ${batches.length} batches x ${opts.batchSize} records (${fmt((100 * counts.flow) / total, 1)}% flow, ${fmt((100 * counts.drop) / total, 1)}% drop, ${fmt((100 * counts.sock) / total, 1)}% sock), ${opts.window} connections open, mix ${opts.mix}, ring 4095, ${opts.noCopy ? "batches reused" : "fresh Buffer per batch (as the native reader copies)"}`,
);

const ring = new LiveRing(4095);
const decoder = new RecordDecoder(ring);

/** Runs the loop for `seconds`; returns records decoded and elapsed seconds. */
function loop(seconds) {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let records = 0;
  let i = 0;
  let now = start;
  while (now < deadline) {
    const b = batches[i++ % batches.length];
    // The native reader hands JS a new Buffer per batch; copying here keeps GC and cache costs honest.
    const buf = opts.noCopy ? b.buf : Buffer.from(b.buf);
    decoder.decodeBatch(buf, b.offsets, b.count);
    records += b.count;
    now = process.hrtime.bigint();
  }
  return { records, secs: Number(now - start) / 1e9 };
}

loop(opts.warmup);
const before = { ...decoder.counts };
const cpu0 = process.cpuUsage();
const { records, secs } = loop(opts.seconds);
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
// On a shared machine wall time includes other processes' turns; CPU time is this process's own
// (GC helper threads included, so it errs low). The headline is records per CPU-second.
const rate = records / cpuSecs;
const decoded = decoder.counts.records - before.records;
if (decoded !== records || decoder.counts.malformed !== 0) {
  console.error(
    `decode: decoder counted ${decoded} records (${decoder.counts.malformed} malformed), expected ${records}: the synthetic layout is off`,
  );
  process.exit(1);
}
console.log(
  `decode: ${fmt(records)} records in ${fmt(secs, 2)} s, CPU ${fmt((cpu.user + cpu.system) / 1e6, 2)} s (user+sys, GC threads included)`,
);
console.log(
  `decode: flows started ${fmt(decoder.counts.flowsStarted)}, ring written ${fmt(ring.written)}, heap ${fmt(process.memoryUsage().heapUsed / 2 ** 20, 1)} MiB`,
);
console.log(`decode: ${fmt(records / secs)} records per wall second, ${fmt(rate)} records per CPU second (target >= ${fmt(TARGET)})`);
result(`decode records/s, mix ${opts.mix} (1 core)`, fmt(rate), `>= ${fmt(TARGET)}`, rate >= TARGET);
