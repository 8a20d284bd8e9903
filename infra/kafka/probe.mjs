// Waits until a Kafka broker answers a Metadata request listing at least one broker (no npm dependencies).
// Usage: node probe.mjs HOST PORT TIMEOUT_SECONDS [PID]; exit 0 when ready, 1 on timeout, 2 if PID died.
import { connect } from "node:net";

const [host = "127.0.0.1", portArg = "9092", timeoutArg = "60", pidArg] = process.argv.slice(2);
const port = Number(portArg);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const pid = pidArg ? Number(pidArg) : undefined;

// Metadata v4 (kept by Kafka 3.x and 4.x): all topics (null array), no auto-creation.
function metadataRequest() {
  const clientId = Buffer.from("flowlens-probe");
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o); // api key: Metadata
  o = body.writeInt16BE(4, o); // api version
  o = body.writeInt32BE(1, o); // correlation id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  o = body.writeInt32BE(-1, o); // topics: null = all
  body.writeInt8(0, o); // allow_auto_topic_creation
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

// Resolves with the number of brokers in the response, or 0 when the broker does not answer properly.
function askBrokers() {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const sock = connect({ host, port });
    const done = (n) => {
      sock.destroy();
      resolve(n);
    };
    sock.setTimeout(2000, () => done(0));
    sock.on("error", () => done(0));
    sock.on("connect", () => sock.write(metadataRequest()));
    sock.on("data", (d) => {
      got = Buffer.concat([got, d]);
      // size(4) correlation_id(4) throttle_time_ms(4) brokers.length(4)
      if (got.length >= 16) done(got.readInt32BE(4) === 1 ? Math.max(0, got.readInt32BE(12)) : 0);
    });
    sock.on("end", () => done(0));
  });
}

const alive = () => {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (;;) {
  if ((await askBrokers()) > 0) process.exit(0);
  if (!alive()) process.exit(2);
  if (Date.now() > deadline) process.exit(1);
  await new Promise((r) => setTimeout(r, 100));
}
