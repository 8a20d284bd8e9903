// New TCP connections per second: `node connect-rate.mjs HOST PORT SECONDS CONCURRENCY` keeps CONCURRENCY
// connect → (server closes) → reset loops busy for SECONDS and prints one JSON line with the counts.
import { connect } from "node:net";

const [host, port, seconds, concurrency] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4] ?? 5),
  Number(process.argv[5] ?? 16),
];
if (!host || !(port > 0)) {
  console.error("usage: node connect-rate.mjs HOST PORT [SECONDS] [CONCURRENCY]");
  process.exit(2);
}
let connects = 0;
let errors = 0;
const firstErrors = new Map();
const start = performance.now();
const end = start + seconds * 1000;

function loop(done) {
  if (performance.now() >= end) return done();
  const s = connect({ host, port });
  let ok = false;
  s.setTimeout(1000);
  s.on("connect", () => {
    ok = true;
  });
  s.on("timeout", () => s.destroy(new Error("ETIMEDOUT")));
  s.on("error", (e) => {
    errors++;
    const code = e.code ?? e.message;
    firstErrors.set(code, (firstErrors.get(code) ?? 0) + 1);
  });
  // The server closed first; answering its FIN with a reset leaves no TIME_WAIT on either side, so
  // tens of thousands of closed connections do not pile up between the states a bench compares.
  s.on("end", () => s.resetAndDestroy());
  s.on("close", () => {
    if (ok) connects++;
    loop(done);
  });
  s.resume();
}

await Promise.all(Array.from({ length: concurrency }, () => new Promise((r) => loop(r))));
const elapsed = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({ connects, errors, errorCodes: Object.fromEntries(firstErrors), seconds: elapsed, perSecond: connects / elapsed }),
);
