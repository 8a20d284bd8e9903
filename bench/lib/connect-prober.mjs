// Verdict prober for the apply bench: `node connect-prober.mjs HOST PORT [EVERY_MS] [TIMEOUT_MS]` starts a
// new TCP connection attempt every EVERY_MS (overlapping), counts one that connects within TIMEOUT_MS
// as "allowed" and one that does not as "denied" (a policy drop in tc gives no answer), and prints
// a line "<start time, ms since the epoch> <verdict>" whenever the verdict of attempts, in the order
// they started, changes.
import { connect } from "node:net";

const [host, port, every, timeout] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4] ?? 2),
  Number(process.argv[5] ?? 40),
];
if (!host || !(port > 0)) {
  console.error("usage: node connect-prober.mjs HOST PORT [EVERY_MS] [TIMEOUT_MS]");
  process.exit(2);
}
const now = () => performance.timeOrigin + performance.now();
/** Attempts in start order; the head is reported once it has a verdict. */
const pending = [];
let last = "";

function flush() {
  while (pending.length > 0 && pending[0].verdict) {
    const a = pending.shift();
    if (a.verdict !== last) {
      last = a.verdict;
      process.stdout.write(`${a.start.toFixed(3)} ${a.verdict}\n`);
    }
  }
}

function attempt() {
  const a = { start: now(), verdict: "" };
  pending.push(a);
  const s = connect({ host, port });
  const settle = (v) => {
    if (a.verdict) return;
    a.verdict = v;
    s.destroy();
    flush();
  };
  const timer = setTimeout(() => settle("denied"), timeout);
  s.on("connect", () => {
    clearTimeout(timer);
    settle("allowed");
  });
  s.on("error", () => {
    clearTimeout(timer);
    settle("error");
  });
}

setInterval(attempt, every);
