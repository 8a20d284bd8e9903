// Keep-alive HTTP load: `node http-load.mjs URL SECONDS CONCURRENCY` runs CONCURRENCY connections, each
// sending GETs one after another for SECONDS, and prints one JSON line: requests/s and latency
// percentiles (ms) of the 2xx answers, plus non-2xx and error counts.
import { Agent, request } from "node:http";

const [url, seconds, concurrency] = [process.argv[2], Number(process.argv[3] ?? 5), Number(process.argv[4] ?? 16)];
if (!url?.startsWith("http://")) {
  console.error("usage: node http-load.mjs http://HOST:PORT/PATH [SECONDS] [CONCURRENCY]");
  process.exit(2);
}
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const lat = [];
let non2xx = 0;
let errors = 0;
const start = performance.now();
const end = start + seconds * 1000;

const once = () =>
  new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode >= 200 && res.statusCode < 300) lat.push(performance.now() - t0);
        else non2xx++;
        resolve();
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", () => {
      errors++;
      resolve();
    });
    req.end();
  });

async function worker() {
  while (performance.now() < end) await once();
}

await Promise.all(Array.from({ length: concurrency }, worker));
const elapsed = (performance.now() - start) / 1000;
agent.destroy();
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] : null);
console.log(
  JSON.stringify({ requests: lat.length, non2xx, errors, seconds: elapsed, rps: lat.length / elapsed, p50Ms: pct(50), p99Ms: pct(99) }),
);
